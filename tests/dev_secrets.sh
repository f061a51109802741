# Throwaway secrets and ports for tests and benchmarks (sourced by tests/mariadb.sh,
# tests/smoke/lib.sh and bench/common.sh). Fresh from the kernel's randomness on every call; never
# for production, whose secrets Kubernetes mounts (k8s/README.md).

# random_key: 32 random bytes, base64 (the format of every key Jiban reads).
random_key() { head -c 32 /dev/urandom | base64 -w0; }

# free_port: a loopback port the kernel has just handed out (for a server that must keep its port;
# the tiny race before the server binds it is the caller's to retry).
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# field_keys_value: keys for sealed personal data, as JIBAN_FIELD_KEYS (or its _FILE) reads them.
field_keys_value() { printf 'active=k1;k1=%s;index=%s' "$(random_key)" "$(random_key)"; }

# auth_json ISSUER KID: the gateway's JIBAN_AUTH_FILE with one HS256 key (for `gateway mint`).
auth_json() {
  printf '{"issuer":"%s","audience":"jiban","keys":[{"kid":"%s","alg":"HS256","secret":"%s"}]}' \
    "$1" "$2" "$(random_key)"
}
