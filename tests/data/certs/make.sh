#!/bin/sh
# Generates the certificate test data under tests/data/certs/ (run once; the
# outputs are committed, the private keys are thrown away).
#
#   sh tests/data/certs/make.sh        (from the crate root, OpenSSL 3.x)
#
# Every leaf is issued with `openssl ca` and explicit -startdate/-enddate so
# that expired and not-yet-valid certificates can be made without faketime.
# Afterwards run `python3 tests/data/certs/expected.py` to refresh
# expected.json (CRC values computed independently with zlib).
set -eu
OUT=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# ca NAME KEYOPTS SUBJECT: self-signed CA in $WORK/NAME/
mkca() {
  name=$1; keyopts=$2; subj=$3
  mkdir -p "$name/newcerts"; : > "$name/index.txt"; echo 1000 > "$name/serial"
  openssl genpkey $keyopts -out "$name/key.pem" 2>/dev/null
  openssl req -x509 -new -key "$name/key.pem" -subj "$subj" -days 7300 \
    -set_serial 0x0a1b2c3d -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$name/cert.pem"
  cat > "$name/ca.cnf" <<CNF
[ca]
default_ca = this
[this]
dir = $WORK/$name
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
certificate = \$dir/cert.pem
private_key = \$dir/key.pem
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
emailAddress = optional
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[clientemail]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth,emailProtection
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
[noeku]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
CNF
}

# leaf CA NAME KEYOPTS SUBJECT EXT START END OUTDIR
leaf() {
  ca=$1; name=$2; keyopts=$3; subj=$4; ext=$5; start=$6; end=$7; dir=$8
  openssl genpkey $keyopts -out "$name.key" 2>/dev/null
  openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
  openssl ca -batch -notext -preserveDN -config "$ca/ca.cnf" -extensions "$ext" \
    -startdate "$start" -enddate "$end" -in "$name.csr" -out "$name.pem" 2>/dev/null
  openssl x509 -in "$name.pem" -outform DER -out "$dir/$name.der"
}

RSA2048="-algorithm RSA -pkeyopt rsa_keygen_bits:2048"
RSA4096="-algorithm RSA -pkeyopt rsa_keygen_bits:4096"
P256="-algorithm EC -pkeyopt ec_paramgen_curve:P-256"
P384="-algorithm EC -pkeyopt ec_paramgen_curve:P-384"
ED25519="-algorithm ED25519"
VALID_FROM=20251124000000Z
VALID_TO=20271124000000Z

# --- test certificates -------------------------------------------------------
mkca testca "$RSA4096" "/O=certtrace tests/CN=certtrace Test Root CA"
openssl x509 -in testca/cert.pem -outform DER -out "$OUT/test-root-ca.der"
leaf testca rsa2048-client "$RSA2048" "/O=certtrace tests/CN=rsa2048-client" client $VALID_FROM $VALID_TO "$OUT"
leaf testca rsa4096-client "$RSA4096" "/O=certtrace tests/OU=Long Subject Unit/CN=rsa4096-client with a longer subject/emailAddress=rsa4096@tests.example" clientemail $VALID_FROM $VALID_TO "$OUT"
leaf testca ec-p256-client "$P256" "/O=certtrace tests/CN=ec-p256-client" client $VALID_FROM $VALID_TO "$OUT"
leaf testca ec-p384-server "$P384" "/O=certtrace tests/CN=ec-p384-server" server $VALID_FROM $VALID_TO "$OUT"
leaf testca ed25519-client "$ED25519" "/O=certtrace tests/CN=ed25519-client" client $VALID_FROM $VALID_TO "$OUT"
leaf testca rsa2048-noeku "$RSA2048" "/O=certtrace tests/CN=rsa2048-noeku" noeku $VALID_FROM $VALID_TO "$OUT"
leaf testca expired-client "$P256" "/O=certtrace tests/CN=expired-client" client 20200101000000Z 20210101000000Z "$OUT"
leaf testca notyet-client "$P256" "/O=certtrace tests/CN=notyet-client" client 20400101000000Z 20410101000000Z "$OUT"

# PEM files: a chain (leaf then CA), a .crt in PEM form, a PEM with garbage.
mkdir -p "$OUT/pem"
cat rsa2048-client.pem testca/cert.pem > "$OUT/pem/chain.pem"
cp ec-p256-client.pem "$OUT/pem/ec-p256-client.crt"
{
  echo "This text precedes the first block and must be ignored."
  cat ed25519-client.pem
  echo "garbage between blocks"
  echo "-----BEGIN CERTIFICATE-----"
  echo "this is not base64 @@@@"
  echo "-----END CERTIFICATE-----"
  echo "-----BEGIN PRIVATE KEY-----"
  echo "AAAA"
  echo "-----END PRIVATE KEY-----"
} > "$OUT/pem/garbage.pem"

# Bad input: a truncated DER and an unrelated file.
mkdir -p "$OUT/bad"
head -c 300 "$OUT/rsa2048-client.der" > "$OUT/bad/truncated.der"
echo "not a certificate" > "$OUT/bad/readme.txt"

# --- demo catalog (shipped with the crate, embedded with include_bytes!) -------
mkca democa "$RSA2048" "/O=Contoso/CN=Contoso Demo Client CA"
D="$OUT/demo"
leaf democa alice "$RSA2048" "/O=Contoso/CN=alice@contoso.example" client $VALID_FROM $VALID_TO "$D"
leaf democa bob "$RSA2048" "/O=Contoso/OU=Finance/CN=bob@contoso.example" client $VALID_FROM $VALID_TO "$D"
leaf democa carol "$P256" "/O=Contoso/CN=carol@contoso.example" client $VALID_FROM $VALID_TO "$D"
leaf democa dave "$RSA4096" "/O=Contoso/OU=Operations/CN=dave@contoso.example" clientemail $VALID_FROM $VALID_TO "$D"
leaf democa erin "$P384" "/O=Contoso/CN=erin@contoso.example" client $VALID_FROM $VALID_TO "$D"
leaf democa frank "$RSA2048" "/O=Contoso/CN=frank@contoso.example" client 20230101000000Z 20250101000000Z "$D"
leaf democa svc-backup "$ED25519" "/O=Contoso/OU=Services/CN=svc-backup.contoso.example" server $VALID_FROM $VALID_TO "$D"
leaf democa kiosk "$P256" "/O=Contoso/OU=Store 12/CN=kiosk-12.contoso.example" client $VALID_FROM $VALID_TO "$D"
openssl x509 -in democa/cert.pem -outform DER -out "$D/contoso-demo-client-ca.der"
echo "written to $OUT"
