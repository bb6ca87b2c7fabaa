# Run with busybox ash (Debian package busybox), as OpenWrt runs the init script:
#   busybox ash render_test.sh SOURCE_DIR CWMPD PLUGIN_DIR
# Renders the INI with the init script's own function (config/openwrt/cwmpd.init) from a
# sample UCI package and from the shipped UCI defaults, checks the lines it must hold, and
# that `cwmpd --check-config` accepts both; an option the daemon does not know must be
# refused naming it (the script filters nothing, the daemon validates).
set -e
src=$1
cwmpd=$2
plugins=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

. "$(dirname "$0")/functions_shim.sh"
. "$src/config/openwrt/cwmpd.init"

mkdir -p "$tmp/config" "$tmp/store"
UCI_CONFIG_DIR="$tmp/config"

# 1. The sample: quoting, lists, booleans, a plugin section, an anonymous section.
sed -e "s|@PLUGINS@|$plugins|" -e "s|@SIM@|$src/config/sim|" -e "s|@STORE@|$tmp/store|" \
	"$(dirname "$0")/sample.uci" > "$tmp/config/cwmpd"
cwmpd_render_ini > "$tmp/sample.conf"
cat "$tmp/sample.conf"
for line in \
	'[acs]' \
	'url = https://acs.example.net:7548/cwmp?id=1' \
	"password = it's \"secret\" # not a comment" \
	'periodic_inform_enable = 1' \
	'connection_request_password = pa ss' \
	'vendor_events = X 00D09E LINK_RESTORED, X CT-COM ALARM' \
	'enable = deviceinfo, management, wan' \
	'[wan]' \
	'interface = eth1' \
	'provisioning_code = EU.fiber'; do
	grep -qxF -- "$line" "$tmp/sample.conf" || fail "sample: no line '$line'"
done
grep -q 'ignored' "$tmp/sample.conf" && fail "sample: the anonymous section was rendered"
[ "$(grep -c '^\[' "$tmp/sample.conf")" = 9 ] || fail "sample: not 9 sections"
if ! out=$("$cwmpd" --config "$tmp/sample.conf" --check-config 2>&1); then
	fail "cwmpd --check-config refused the sample: $out"
fi

# 2. The shipped defaults (config/openwrt/cwmpd.uci), with this build's plugins and a CA
#    file that exists here.
sed -e "s|'/usr/lib/cwmpd/plugins'|'$plugins'|" -e "s|'/etc/cwmpd/state'|'$tmp/store'|" \
	-e "s|'/etc/ssl/certs/ca-certificates.crt'|'$src/config/cwmpd.conf'|" \
	"$src/config/openwrt/cwmpd.uci" > "$tmp/config/cwmpd"
cwmpd_render_ini > "$tmp/defaults.conf"
grep -qxF 'url = https://acs.example.net/cwmp' "$tmp/defaults.conf" || fail "defaults: no url"
if ! out=$("$cwmpd" --config "$tmp/defaults.conf" --check-config 2>&1); then
	fail "cwmpd --check-config refused the shipped defaults: $out"
fi

# 3. What `uci set cwmpd.acs.periodic_inform_intervl=60` (a typo) leaves: refused, named.
printf "\toption periodic_inform_intervl '60'\n" > "$tmp/typo"
sed "/^config acs/r $tmp/typo" "$tmp/config/cwmpd" > "$tmp/config/cwmpd.new"
mv "$tmp/config/cwmpd.new" "$tmp/config/cwmpd"
cwmpd_render_ini > "$tmp/typo.conf"
if out=$("$cwmpd" --config "$tmp/typo.conf" --check-config 2>&1); then
	fail "cwmpd --check-config accepted an unknown key"
else
	case "$out" in
	*periodic_inform_intervl*) ;;
	*) fail "the error does not name the key: $out" ;;
	esac
fi

# 4. write_conf: the INI is private (it holds passwords).
CONF="$tmp/var/etc/cwmpd.conf"
write_conf
[ "$(stat -c %a "$CONF")" = 600 ] || fail "write_conf: mode $(stat -c %a "$CONF"), not 600"

[ "$failures" = 0 ] || exit 1
echo "PASS"
