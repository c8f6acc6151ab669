# nic-lib.sh: what the NIC set's guest scripts (guest-nic.sh, guest-scrub.sh,
# guest-migrate.sh) share about the igb PF and its VFs, sourced after
# guest-lib.sh. The caller sets pfn (the PF's netdev) and work.

# netdev_of PCI-DIR: REPLY is the function's network interface, if any.
netdev_of () { REPLY=; for n in "$1"/net/*; do [ -e "$n" ] && REPLY=${n##*/}; done; }
# driver_of PCI-ADDRESS: REPLY is its driver's name, or "none".
driver_of () {
  REPLY=$(readlink /sys/bus/pci/devices/$1/driver 2> /dev/null)
  REPLY=${REPLY##*/}; [ -n "$REPLY" ] || REPLY=none
}
# pf_vf_line N: REPLY is the PF's "vf N" line of `ip link show`, leading
# blanks dropped; 1 when there is none.
pf_vf_line () {
  REPLY=
  ip link show "$pfn" > $work/iplink.out 2>&1
  while IFS= read -r l; do
    l=${l#"${l%%[! ]*}"}
    case $l in "vf $1 "*) REPLY=$l; return 0 ;; esac
  done < $work/iplink.out
  return 1
}
# vf_line_is_baseline LINE: 0 when an `ip link` vf line is at the VF's
# baseline: MAC 00:00:00:00:00:00, no VLAN, spoof checking on, link-state
# auto, trust off, no rate limits.
vf_line_is_baseline () {
  case $1 in *"link/ether 00:00:00:00:00:00 "*) ;; *) return 1 ;; esac
  case $1 in *vlan*|*"tx rate"*|*max_tx_rate*|*min_tx_rate*) return 1 ;; esac
  case $1 in *"spoof checking on"*) ;; *) return 1 ;; esac
  case $1 in *"link-state auto"*) ;; *) return 1 ;; esac
  case $1 in *"trust off"*) ;; *) return 1 ;; esac
  return 0
}
