#!/bin/sh
# Example mapping for the linux HAL's pon_status command (hal/README.md, "PON"): prints
# the ONU status in the sim's pon/onu.ini format from a vendor driver's debugfs folder.
#
#   [hal]
#   pon_status_command = /usr/share/cwmpd/pon-status-debugfs.sh /sys/kernel/debug/pon
#
# The folder layout this example reads (one value per file; absent files are skipped):
#   onu_state      activation state as a number 1..9 (G.984.3 / G.9807.1 O1..O9)
#   onu_id         ONU ID; 255 = not assigned yet
#   sn             serial number, 4 vendor letters + 8 hex digits ("SIMC0000002A")
#   mode           gpon | xgpon | xgspon | ngpon2 | epon
#   loid_status    0 idle, 1 checking, 2 ok, 3 no such LOID, 4 bad password, 5 LOID in use, 6 timeout
#   alarm_mask     hex bit mask: bit 0 LOS, 1 LOF, 2 SF, 3 SD, 4 RDI, 5 DIS, 6 MIS, 7 LODS
#   ber_sf ber_sd  BER thresholds as exponents
#   stats          "name value" lines: fec_corrected_bytes fec_corrected_cw fec_uncorrectable_cw
#                  fec_total_cw hec_errors gem_tx gem_rx ploam_mic_errors ploam_rx ploam_tx
#                  omci_rx omci_mic_errors
#   gem/<id>       "direction type tx_frames rx_frames" of one GEM port
# Real drivers differ: copy this script and adapt the reads, not the output format.
set -u
dir=${1:-/sys/kernel/debug/pon}
[ -d "$dir" ] || { echo "present = 0"; exit 0; }

val() { [ -r "$dir/$1" ] && head -n 1 "$dir/$1" | tr -d ' \t\r'; }

state=$(val onu_state)
case "$state" in
  1|2|3|4|5|6|7|8|9) echo "state = O$state" ;;
  "") ;;
  *) echo "example mapping: bad onu_state '$state'" >&2; exit 1 ;;
esac

id=$(val onu_id)
if [ -n "$id" ] && [ "$id" != 255 ]; then echo "onu_id = $id"; else echo "onu_id ="; fi

sn=$(val sn)
if [ -n "$sn" ]; then
  echo "serial_number = $sn"
  echo "vendor_id = $(printf '%s' "$sn" | cut -c1-4)"
fi

case "$(val mode)" in
  gpon) echo "pon_mode = G-PON" ;;
  xgpon) echo "pon_mode = XG-PON" ;;
  xgspon) echo "pon_mode = XGS-PON" ;;
  ngpon2) echo "pon_mode = NG-PON2" ;;
  epon) echo "pon_mode = EPON" ;;
esac

case "$(val loid_status)" in
  0) echo "loid_auth = none" ;;
  1) echo "loid_auth = in_progress" ;;
  2) echo "loid_auth = success" ;;
  3) echo "loid_auth = loid_unknown" ;;
  4) echo "loid_auth = password_wrong" ;;
  5) echo "loid_auth = loid_conflict" ;;
  6) echo "loid_auth = timeout" ;;
esac

mask=$(val alarm_mask)
if [ -n "$mask" ]; then
  m=$((mask))
  list=""
  i=0
  for name in los lof sf sd rdi dis mis lods; do
    if [ $(( (m >> i) & 1 )) -eq 1 ]; then list="$list${list:+,}$name"; fi
    i=$((i + 1))
  done
  echo "alarms = $list"
fi

sf=$(val ber_sf); [ -n "$sf" ] && echo "signal_fail = $sf"
sd=$(val ber_sd); [ -n "$sd" ] && echo "signal_degrade = $sd"

if [ -r "$dir/stats" ]; then
  awk '
    $1 == "fec_corrected_bytes"  { print "corrected_fec_bytes = " $2 }
    $1 == "fec_corrected_cw"     { print "corrected_fec_codewords = " $2 }
    $1 == "fec_uncorrectable_cw" { print "uncorrectable_fec_codewords = " $2 }
    $1 == "fec_total_cw"         { print "total_fec_codewords = " $2 }
    $1 == "hec_errors"           { print "header_hec_errors = " $2 }
    $1 == "gem_tx"               { print "gem_frames_sent = " $2 }
    $1 == "gem_rx"               { print "gem_frames_received = " $2 }
    $1 == "ploam_mic_errors"     { print "ploam_mic_errors = " $2 }
    $1 == "ploam_rx"             { print "ploam_downstream_messages = " $2 }
    $1 == "ploam_tx"             { print "ploam_upstream_messages = " $2 }
    $1 == "omci_rx"              { print "omci_baseline_messages = " $2 }
    $1 == "omci_mic_errors"      { print "omci_mic_errors = " $2 }
  ' "$dir/stats"
fi

if [ -d "$dir/gem" ]; then
  for f in "$dir"/gem/*; do
    [ -r "$f" ] || continue
    echo "gem_port.$(basename "$f") = $(head -n 1 "$f")"
  done
fi
exit 0
