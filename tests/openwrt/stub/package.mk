# Stand-in for OpenWrt's include/package.mk (with empty rules.mk and cmake.mk beside it):
# enough to expand openwrt/cwmpd/Makefile outside an OpenWrt tree and print, for each
# package it builds, the commands of its install recipe (package_test.sh reads them).
INSTALL_DIR:=install -d -m0755
INSTALL_BIN:=install -m0755
INSTALL_DATA:=install -m0644
INSTALL_CONF:=install -m0600
CP:=cp -fpR
PKG_BUILD_DIR:=$(BUILD_DIR)/src
PKG_INSTALL_DIR:=$(BUILD_DIR)/ipkg-install
define BuildPackage
$(info PACKAGE $(1))
$(info DEPENDS $(strip $(DEPENDS)))
$(info INSTALL $(call Package/$(1)/install,ROOT))
endef

# Something to make, so that make exits 0 once the file is read.
stub-expanded: ; @:
.DEFAULT_GOAL := stub-expanded
