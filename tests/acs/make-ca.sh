#!/bin/sh
# Creates throw-away TLS material for the tests in DIR (made if missing):
#   ca.pem / ca.key          a test CA
#   server.pem / server.key  signed by it, for 127.0.0.1, ::1 and localhost
#   wrong-host.pem / .key    signed by it, for wrong.example only (host-name check)
#   client.pem / client.key  a client certificate signed by it
#   other-ca.pem / .key      an unrelated CA (the "unknown CA" case)
# Everything is RSA 2048 and valid for 2 days: it lives as long as one test run.
set -eu
dir=${1:?usage: make-ca.sh DIR}
mkdir -p "$dir"
cd "$dir"

make_ca() { # name subject
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
    -keyout "$1.key" -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
}

make_leaf() { # name subject extensions-file-line
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

make_ca ca "cwmpd test CA"
make_ca other-ca "unrelated test CA"
make_leaf server localhost \
  "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
extendedKeyUsage=serverAuth"
make_leaf wrong-host wrong.example \
  "subjectAltName=DNS:wrong.example
extendedKeyUsage=serverAuth"
make_leaf client cwmpd-test-cpe "extendedKeyUsage=clientAuth"
