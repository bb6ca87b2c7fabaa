# The part of OpenWrt's /lib/functions.sh and /lib/config/uci.sh that the init script's
# rendering uses, with their semantics (so the test runs the script's own logic under
# busybox ash on Debian): config_load evaluates the package the way uci_load evaluates
# `uci -S -n export` (whose output is the same syntax as the file: package, config,
# option, list), calling config_cb/option_cb/list_cb as it goes and config_cb once more,
# without arguments, at the end; config_get reads CONFIG_<section>_<option>.
# UCI_CONFIG_DIR: where the package files are (OpenWrt: /etc/config).

config_cb() { return 0; }
option_cb() { return 0; }
list_cb() { return 0; }
reset_cb() {
	config_cb() { return 0; }
	option_cb() { return 0; }
	list_cb() { return 0; }
}

package() { return 0; }

config() {
	CONFIG_NUM_SECTIONS=$((CONFIG_NUM_SECTIONS + 1))
	# uci export -n names an anonymous section cfg<index><hash>, in hex.
	CONFIG_SECTION="${2:-$(printf 'cfg%02x%04x' "$CONFIG_NUM_SECTIONS" 0)}"
	CONFIG_SECTIONS="$CONFIG_SECTIONS $CONFIG_SECTION"
	config_set "$CONFIG_SECTION" TYPE "$1"
	config_cb "$1" "$CONFIG_SECTION"
}

option() {
	local name="$1"
	shift
	config_set "$CONFIG_SECTION" "$name" "$*"
	option_cb "$name" "$*"
}

list() {
	local name="$1"
	shift
	local current
	config_get current "$CONFIG_SECTION" "$name"
	config_set "$CONFIG_SECTION" "$name" "${current:+$current }$*"
	list_cb "$name" "$*"
}

config_set() {
	eval "CONFIG_${1}_${2}=\$3"
}

config_get() {
	case $# in
	4) eval "$1=\${CONFIG_${2}_${3}:-\$4}" ;;
	3) eval "$1=\${CONFIG_${2}_${3}}" ;;
	esac
}

config_load() {
	CONFIG_SECTIONS=""
	CONFIG_NUM_SECTIONS=0
	CONFIG_SECTION=""
	. "${UCI_CONFIG_DIR:-/etc/config}/$1" || return 1
	${CONFIG_SECTION:+config_cb}
	return 0
}
