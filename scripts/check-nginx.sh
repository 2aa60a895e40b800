#!/usr/bin/env bash
# `nginx -t` for both configurations: the production site (nginx/hh-auth.conf, with
# its /etc paths pointed at the repo and a throw-away certificate) and the rendered
# development config. Needs nginx and openssl; binds no ports.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Development config, with and without the stand-in and the rate limits; one node, and two
# behind one upstream.
NGINX_PREFIX="$tmp/dev" SERVICE_SOCKET="$tmp/hh-auth.sock" STANDIN_SOCKET="$tmp/standin.sock" REDIRECT_PORT=8081 \
    "$repo/scripts/render-nginx.sh" >/dev/null
nginx -q -t -p "$tmp/dev" -c "$tmp/dev/nginx.conf" -e "$tmp/dev/error.log"
NGINX_PREFIX="$tmp/dev2" SERVICE_SOCKETS="$tmp/hh-auth-1.sock $tmp/hh-auth-2.sock" HTTPS_PORT="" RATE_LIMITS=off \
    "$repo/scripts/render-nginx.sh" >/dev/null
nginx -q -t -p "$tmp/dev2" -c "$tmp/dev2/nginx.conf" -e "$tmp/dev2/error.log"
echo "check-nginx: development config OK"

# Production site inside a minimal main config.
mkdir -p "$tmp/prod/logs" "$tmp/prod/tmp"
cp "$tmp/dev/tls/cert.pem" "$tmp/prod/hh-auth.crt"
cp "$tmp/dev/tls/key.pem" "$tmp/prod/hh-auth.key"
sed -e "s|/etc/nginx/hh-auth/|$repo/nginx/|g" \
    -e "s|/usr/local/share/hh-auth/www|$repo/nginx/www|g" \
    -e "s|/etc/ssl/certs/hh-auth.crt|$tmp/prod/hh-auth.crt|" \
    -e "s|/etc/ssl/private/hh-auth.key|$tmp/prod/hh-auth.key|" \
    -e "s|/var/log/nginx/|$tmp/prod/logs/|g" \
    "$repo/nginx/hh-auth.conf" >"$tmp/prod/site.conf"
# The README's snippet that protects an app ("Protect an app"), in the HTTPS server.
python3 - "$tmp/prod/site.conf" "$repo/nginx/" <<'PY'
import sys
path, nginx_dir = sys.argv[1], sys.argv[2]
site = open(path).read()
marker = "    include %shh-auth-locations.conf;" % nginx_dir
assert site.count(marker) == 1, "check-nginx: no include of hh-auth-locations.conf in hh-auth.conf"
snippet = (
    "    location /grafana/ {\n"
    "        auth_request /_hh_auth/verify/ops;\n"
    "        include %shh-auth-identity.conf;\n"
    "        proxy_pass http://127.0.0.1:3000;\n"
    "    }\n" % nginx_dir)
open(path, "w").write(site.replace(marker, snippet + marker))
PY
cat >"$tmp/prod/nginx.conf" <<CONF
pid $tmp/prod/nginx.pid;
events {}
http {
    types { text/html html; text/css css; application/json json; }
    client_body_temp_path $tmp/prod/tmp/body;
    fastcgi_temp_path $tmp/prod/tmp/fastcgi;
    proxy_temp_path $tmp/prod/tmp/proxy;
    uwsgi_temp_path $tmp/prod/tmp/uwsgi;
    scgi_temp_path $tmp/prod/tmp/scgi;
    include $tmp/prod/site.conf;
}
CONF
nginx -q -t -p "$tmp/prod" -c "$tmp/prod/nginx.conf" -e "$tmp/prod/error.log"
echo "check-nginx: production site OK"
