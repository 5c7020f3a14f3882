#!/usr/bin/env bash
# Build tenrec's bootable test image from Debian packages, without root:
# a raw disk holding one FAT file system (no partition table, booted by
# SYSLINUX from its boot sector) with Debian's cloud kernel and a busybox
# initramfs whose init brings up DHCP, reads the config drive or the metadata
# service, sets the hostname, installs SSH keys, runs shell user data, prints
# "TENREC-BOOT: ..." markers on the serial console and powers off on the ACPI
# power button. One file: upload it to Glance as disk_format raw.
#
#   scripts/build-test-image.sh [OUTPUT]
#   (default OUTPUT: $TENREC_IMAGE_CACHE/tenrec-test-image.raw, where the QEMU
#   driver's tests and bench look for it; prints OUTPUT's path on stdout)
#
# Environment:
#   TENREC_IMAGE_CACHE  where the .debs are kept (default ~/.cache/tenrec/test-image)
#   TENREC_IMAGE_FORCE=1  rebuild even when OUTPUT is up to date
#   TENREC_IMAGE_NO_INSTALL=1  never apt-get install missing build tools
#   TENREC_IMAGE_SSH=0  no SSH server (dropbear) in the image
#
# Build tools: apt-get + dpkg-deb (always there on Debian), mtools (mcopy),
# syslinux (+ syslinux-common), gzip; mkfs.vfat comes from dosfstools when
# installed, else the busybox just downloaded. Packages put in the image
# (downloaded, not installed): linux-image-cloud-amd64, busybox-static, and
# for SSH dropbear-bin with libc6 libcrypt1 libtomcrypt1 libtommath1 libgmp10 zlib1g.
# The result is cached: OUTPUT.stamp records the inputs; an unchanged build
# returns at once.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${TENREC_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenrec/test-image}
OUT=${1:-$CACHE/tenrec-test-image.raw}
OUT=$(realpath -m "$OUT")
KPKG=${TENREC_IMAGE_KERNEL:-linux-image-cloud-amd64}
VERSION=1
T0=$(date +%s%N)
say() { echo "build-test-image: $*" >&2; }

# --- build tools --------------------------------------------------------------
need_pkgs=()
command -v mcopy >/dev/null || need_pkgs+=(mtools)
command -v syslinux >/dev/null || need_pkgs+=(syslinux syslinux-common)
command -v gzip >/dev/null || need_pkgs+=(gzip)
command -v dpkg-deb >/dev/null || { say "dpkg-deb is missing: this script needs a Debian-based system"; exit 2; }
if ((${#need_pkgs[@]})); then
  if [[ ${TENREC_IMAGE_NO_INSTALL:-} != 1 && $(id -u) == 0 ]]; then
    say "installing build tools: ${need_pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}" >&2
  else
    say "missing build tools; install them with: apt-get install ${need_pkgs[*]}"
    exit 2
  fi
fi

# --- the packages (cached .debs) ----------------------------------------------
mkdir -p "$CACHE/debs"
# the kernel meta-package points at the versioned image package
kdep=$(apt-cache depends "$KPKG" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
if [[ -z $kdep && $(id -u) == 0 && ${TENREC_IMAGE_NO_INSTALL:-} != 1 ]]; then
  say "apt-get update (no package lists?)"
  apt-get update -qq >&2 || true
  kdep=$(apt-cache depends "$KPKG" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
fi
if [[ -z $kdep ]]; then
  kdep=$(ls "$CACHE"/debs/linux-image-[0-9]*.deb 2>/dev/null | sed 's#.*/##; s/_.*//' | sort -V | tail -n1 || true)
fi
[[ -n $kdep ]] || { say "cannot resolve $KPKG (apt-get update?)"; exit 2; }
pkgs=("$kdep" busybox-static)
# an SSH server (dropbear, dynamically linked: with its libraries); TENREC_IMAGE_SSH=0 leaves it out
SSH=${TENREC_IMAGE_SSH:-1}
[[ $SSH == 1 ]] && pkgs+=(dropbear-bin libc6 libcrypt1 libtomcrypt1 libtommath1 libgmp10 zlib1g)
debs=()
declare -A cand=()
while read -r p v; do cand[$p]=$v; done < <(apt-cache policy "${pkgs[@]}" 2>/dev/null | awk '/^[^ ].*:$/ {p=substr($0, 1, length($0)-1)} /^ *Candidate:/ {print p, $2}')
for p in "${pkgs[@]}"; do
  ver=${cand[$p]:-}
  f=""
  if [[ -n $ver && $ver != "(none)" ]]; then
    f=$(ls "$CACHE/debs/${p}_"*$(echo "${ver#*:}" | sed 's/[+~]/?/g')_amd64.deb 2>/dev/null | head -n1 || true)
  else
    f=$(ls "$CACHE/debs/${p}_"*_amd64.deb 2>/dev/null | sort -V | tail -n1 || true)
  fi
  if [[ -z $f ]]; then
    say "downloading $p ${ver:-}"
    (cd "$CACHE/debs" && apt-get download "$p" >&2 2>/dev/null) || { say "apt-get download $p failed"; exit 2; }
    f=$(ls -t "$CACHE/debs/${p}_"*_amd64.deb | head -n1)
  fi
  debs+=("$f")
done

stamp=$( (echo "v$VERSION ssh=$SSH"; for d in "${debs[@]}"; do basename "$d"; done; cat "$0" "$HERE"/test-image/*) | sha256sum | cut -c1-16)
if [[ ${TENREC_IMAGE_FORCE:-} != 1 && -f $OUT && -f $OUT.stamp && $(cat "$OUT.stamp") == "$stamp" ]]; then
  say "up to date: $OUT ($(du -k "$OUT" | cut -f1) KiB, stamp $stamp)"
  echo "$OUT"
  exit 0
fi

# --- unpack -------------------------------------------------------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/tenrec-image.XXXXXX")
trap 'rm -rf "$W"' EXIT
for d in "${debs[@]}"; do dpkg-deb -x "$d" "$W/pkgs"; done
BB=$W/pkgs/bin/busybox
KVER=$(ls "$W/pkgs/lib/modules" | head -n1)
VMLINUZ=$W/pkgs/boot/vmlinuz-$KVER
MODDIR=$W/pkgs/lib/modules/$KVER
[[ -x $BB && -f $VMLINUZ ]] || { say "unexpected package contents"; exit 2; }

# --- the initramfs --------------------------------------------------------------
R=$W/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc/tenrec,lib/modules,proc,sys,dev,run,tmp,mnt,root}
cp "$BB" "$R/bin/busybox"
while IFS= read -r a; do ln -s /bin/busybox "$R/$a"; done < <("$BB" --list-full | grep -vx 'bin/busybox')
ln -sf /bin/busybox "$R/bin/bash"      # user data written for bash mostly runs under ash
ln -sf /bin/busybox "$R/init"          # busybox init reads /etc/inittab
cp "$HERE/test-image/inittab" "$R/etc/inittab"
for f in rc shutdown udhcpc.script powerbtn; do install -m 755 "$HERE/test-image/$f" "$R/etc/tenrec/$f"; done
echo "tenrec-test-image-$VERSION" >"$R/etc/tenrec/version"
if [[ $SSH == 1 ]]; then
  install -m 755 "$W/pkgs/usr/sbin/dropbear" "$R/usr/sbin/dropbear"
  mkdir -p "$R/lib/x86_64-linux-gnu" "$R/lib64" "$R/etc/dropbear" "$R/var"
  for lib in ld-linux-x86-64.so.2 libc.so.6 libcrypt.so.1 libz.so.1 libtomcrypt.so.1 libtommath.so.1 libgmp.so.10; do
    f=$(find "$W/pkgs/lib" "$W/pkgs/usr/lib" -name "$lib" 2>/dev/null | head -n1)
    [[ -n $f ]] || { say "dropbear: $lib not found in the packages"; exit 2; }
    cp -L "$f" "$R/lib/x86_64-linux-gnu/$lib"
  done
  ln -sf /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$R/lib64/ld-linux-x86-64.so.2"
  ln -sf /run "$R/var/run"
  echo /bin/sh >"$R/etc/shells"
fi
echo "root:x:0:0:root:/root:/bin/sh" >"$R/etc/passwd"
echo "root:x:0:" >"$R/etc/group"
: >"$R/etc/resolv.conf"

# kernel modules the guest needs (the cloud kernel builds these as modules),
# in dependency order, read from each module's .modinfo "depends=" field
want=(virtio virtio_ring virtio_pci virtio_blk virtio_net isofs
  button evdev virtio_rng virtio_balloon virtio_console)
declare -A modpath=() loaded=()
while IFS= read -r f; do b=${f##*/}; b=${b%.ko}; modpath[${b//-/_}]=$f; done < <(find "$MODDIR/kernel" -name '*.ko')
order=()
add_mod() {
  local m=${1//-/_} f deps d
  [[ -n ${loaded[$m]:-} ]] && return 0
  f=${modpath[$m]:-}
  if [[ -z $f ]]; then return 0; fi   # built in
  loaded[$m]=1
  deps=$(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | head -n1)
  for d in ${deps//,/ }; do add_mod "$d"; done
  order+=("$m")
}
for m in "${want[@]}"; do add_mod "$m"; done
for m in "${order[@]}"; do cp "${modpath[$m]}" "$R/lib/modules/$m.ko"; done
printf '%s\n' "${order[@]}" >"$R/etc/tenrec/modules"

INITRD=$W/initrd.gz
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | "$BB" cpio -o -H newc 2>/dev/null) | gzip -9 >"$INITRD"

# --- the disk: FAT + SYSLINUX ---------------------------------------------------
cat >"$W/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT tenrec
PROMPT 0
TIMEOUT 0
LABEL tenrec
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND console=tty0 console=ttyS0,115200 loglevel=4 panic=-1 tsc=reliable no_timer_check rootwait
EOF
ksz=$(( ($(stat -c %s "$VMLINUZ") + $(stat -c %s "$INITRD")) / 1024 ))
size_kb=$(( (ksz + 2048) / 1024 * 1024 + 1024 ))   # contents + ~1-2 MiB, whole MiB
IMG=$W/disk.raw
rm -f "$IMG"
if command -v mkfs.vfat >/dev/null; then
  mkfs.vfat -C -n TENREC "$IMG" "$size_kb" >/dev/null
else
  truncate -s "${size_kb}K" "$IMG"
  "$BB" mkdosfs -n TENREC "$IMG" >/dev/null
fi
syslinux --install "$IMG"
export MTOOLS_SKIP_CHECK=1
mcopy -i "$IMG" "$VMLINUZ" ::/vmlinuz
mcopy -i "$IMG" "$INITRD" ::/initrd.gz
mcopy -i "$IMG" "$W/syslinux.cfg" ::/syslinux.cfg

mkdir -p "$(dirname "$OUT")"
mv -f "$IMG" "$OUT.tmp"
mv -f "$OUT.tmp" "$OUT"
echo "$stamp" >"$OUT.stamp"
T1=$(date +%s%N)
say "built $OUT: $(du -k "$OUT" | cut -f1) KiB (kernel $KVER $(( $(stat -c %s "$VMLINUZ") / 1024 )) KiB, initramfs $(( $(stat -c %s "$INITRD") / 1024 )) KiB, modules: ${order[*]}) in $(( (T1 - T0) / 1000000 )) ms"
echo "$OUT"
