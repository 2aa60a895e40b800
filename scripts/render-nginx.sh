#!/usr/bin/env bash
# Render the development/test nginx configuration into $NGINX_PREFIX/nginx.conf.
#
# Environment (defaults in brackets):
#   NGINX_PREFIX    required; directory for everything nginx writes (pid, logs, temp, tls)
#   HTTP_PORT       [8080]  plain-HTTP port on 127.0.0.1 (serves the site, no redirect)
#   HTTPS_PORT      [8443]  TLS port on 127.0.0.1; set it empty to render without TLS
#   SERVICE_SOCKET  unix socket path of hh-auth (FCGI_SOCKET of the service); required unless
#                   SERVICE_SOCKETS is set
#   SERVICE_SOCKETS [empty] several hh-auth nodes' sockets, separated by spaces: one upstream
#                   with a `server unix:…;` line per socket (nginx round-robins across them and
#                   passes a request on to the next node when one does not accept it); instead of
#                   SERVICE_SOCKET, not beside it
#   STANDIN_SOCKET  [empty] unix socket of hh-standin; empty = no stand-in server block
#   STANDIN_PORT    [8090]  HTTP port on 127.0.0.1 for the stand-in (only with STANDIN_SOCKET)
#   RATE_LIMITS     [on]    `off` renders without limit_req
#   WWW_ROOT        [<repo>/nginx/www]  static pages
#   TLS_CERT/TLS_KEY [$NGINX_PREFIX/tls/cert.pem, key.pem: self-signed, made once if missing]
#   ACCESS_LOG      [$NGINX_PREFIX/access.log]  a path, or `off`
#   EXTRA_SERVER_CONF [empty] a file included inside the main server block, before
#                   the shared locations (tests/screenshots add locations with it)
#   ADMIN_ACCESS_CONF [<repo>/nginx/admin-access.conf: allow all] allow/deny rules for /admin
#   OPENAPI_ACCESS_CONF [<repo>/nginx/openapi-access.conf: allow all] allow/deny rules for /openapi.yaml
#   REDIRECT_PORT   [empty] also render production's port-80 server (ACME challenges,
#                   redirect to https://$server_name) on this 127.0.0.1 port
#   REDIRECT_SERVER_NAME [hh-auth.test] its server_name, the redirect's target host
#   ACME_ROOT       [$NGINX_PREFIX/acme] its webroot for /.well-known/acme-challenge/
#
# Then start nginx (foreground, master + 2 workers; the command's pid is the master):
#   nginx -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf" -e "$NGINX_PREFIX/error.log"
# Prints the path of the rendered file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
nginx_dir="$repo/nginx"
template="$nginx_dir/dev/nginx.conf.template"

die() { echo "render-nginx: $*" >&2; exit 2; }
abspath() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$(pwd)" "$1" ;; esac; }
port_ok() { [[ "$1" =~ ^[0-9]+$ ]] && (( $1 > 0 && $1 < 65536 )); }

[[ -n "${NGINX_PREFIX:-}" ]] || die "NGINX_PREFIX is not set"
[[ -z "${SERVICE_SOCKET:-}" || -z "${SERVICE_SOCKETS:-}" ]] || die "set SERVICE_SOCKET or SERVICE_SOCKETS, not both"
read -r -a service_sockets <<<"${SERVICE_SOCKETS:-${SERVICE_SOCKET:-}}"
((${#service_sockets[@]} > 0)) || die "SERVICE_SOCKET is not set"
prefix="$(abspath "$NGINX_PREFIX")"
# One `server` line per node, indented as the template's upstream block has it.
service_servers=""
for socket in "${service_sockets[@]}"; do
    [[ "$socket" != *[\;\{\}\'\"]* ]] || die "a service socket path holds ; { } or a quote: $socket"
    [[ -z "$service_servers" ]] || service_servers+=$'\n        '
    service_servers+="server unix:$(abspath "$socket");"
done
http_port="${HTTP_PORT:-8080}"
https_port="${HTTPS_PORT-8443}"
standin_socket="${STANDIN_SOCKET:-}"
standin_port="${STANDIN_PORT:-8090}"
rate_limits="${RATE_LIMITS:-on}"
www_root="$(abspath "${WWW_ROOT:-$nginx_dir/www}")"
access_log="${ACCESS_LOG:-$prefix/access.log}"
extra_conf="${EXTRA_SERVER_CONF:-}"
admin_access="$(abspath "${ADMIN_ACCESS_CONF:-$nginx_dir/admin-access.conf}")"
openapi_access="$(abspath "${OPENAPI_ACCESS_CONF:-$nginx_dir/openapi-access.conf}")"
redirect_port="${REDIRECT_PORT:-}"
redirect_name="${REDIRECT_SERVER_NAME:-hh-auth.test}"
acme_root="$(abspath "${ACME_ROOT:-$prefix/acme}")"
[[ -f "$admin_access" ]] || die "ADMIN_ACCESS_CONF does not exist: $admin_access"
[[ -f "$openapi_access" ]] || die "OPENAPI_ACCESS_CONF does not exist: $openapi_access"
[[ -z "$redirect_port" ]] || port_ok "$redirect_port" || die "REDIRECT_PORT is not a port: $redirect_port"
[[ "$redirect_name" =~ ^[A-Za-z0-9.-]+$ ]] || die "REDIRECT_SERVER_NAME is not a host name: $redirect_name"
[[ -z "$extra_conf" ]] || { extra_conf="$(abspath "$extra_conf")"; [[ -f "$extra_conf" ]] || die "EXTRA_SERVER_CONF does not exist: $extra_conf"; }

port_ok "$http_port" || die "HTTP_PORT is not a port: $http_port"
[[ -z "$https_port" ]] || port_ok "$https_port" || die "HTTPS_PORT is not a port: $https_port"
[[ -z "$standin_socket" ]] || port_ok "$standin_port" || die "STANDIN_PORT is not a port: $standin_port"
case "$rate_limits" in on|off) ;; *) die "RATE_LIMITS must be on or off, not: $rate_limits" ;; esac
[[ -f "$www_root/index.html" ]] || die "WWW_ROOT has no index.html: $www_root"
[[ "$access_log" == off ]] || access_log="$(abspath "$access_log") hh_auth"

mkdir -p "$prefix/tmp" "$prefix/tls"
[[ -z "$redirect_port" ]] || mkdir -p "$acme_root/.well-known/acme-challenge"
for d in client_body fastcgi proxy uwsgi scgi; do mkdir -p "$prefix/tmp/$d"; done

tls_cert="${TLS_CERT:-}"
tls_key="${TLS_KEY:-}"
if [[ -n "$https_port" ]]; then
    if [[ -z "$tls_cert" || -z "$tls_key" ]]; then
        tls_cert="$prefix/tls/cert.pem"
        tls_key="$prefix/tls/key.pem"
        if [[ ! -s "$tls_cert" || ! -s "$tls_key" ]]; then
            openssl req -x509 -nodes -days 3650 \
                -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
                -subj "/CN=127.0.0.1" \
                -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
                -keyout "$tls_key" -out "$tls_cert" >/dev/null 2>&1 \
                || die "openssl could not make a self-signed certificate"
            chmod 600 "$tls_key"
        fi
    fi
    tls_cert="$(abspath "$tls_cert")"
    tls_key="$(abspath "$tls_key")"
fi

# nginx workers must be able to connect to the service's 0660 socket, which is
# owned by the user that started it: as root, run the workers as root too.
user_line=""
if [[ "$(id -u)" == 0 ]]; then
    user_line="user root root;"
fi

conf="$(<"$template")"
conf="${conf//@USER_LINE@/$user_line}"
conf="${conf//@NGINX_PREFIX@/$prefix}"
conf="${conf//@NGINX_DIR@/$nginx_dir}"
conf="${conf//@ACCESS_LOG@/$access_log}"
conf="${conf//@SERVICE_SERVERS@/$service_servers}"
conf="${conf//@STANDIN_SOCKET@/$standin_socket}"
conf="${conf//@STANDIN_PORT@/$standin_port}"
conf="${conf//@HTTP_PORT@/$http_port}"
conf="${conf//@HTTPS_PORT@/$https_port}"
conf="${conf//@TLS_CERT@/$tls_cert}"
conf="${conf//@TLS_KEY@/$tls_key}"
conf="${conf//@WWW_ROOT@/$www_root}"
conf="${conf//@EXTRA_SERVER_CONF@/$extra_conf}"
conf="${conf//@ADMIN_ACCESS_CONF@/$admin_access}"
conf="${conf//@OPENAPI_ACCESS_CONF@/$openapi_access}"
conf="${conf//@REDIRECT_PORT@/$redirect_port}"
conf="${conf//@REDIRECT_SERVER_NAME@/$redirect_name}"
conf="${conf//@ACME_ROOT@/$acme_root}"

out="$prefix/nginx.conf"
{
    printf '%s\n' "$conf" | awk \
        -v standin="$([[ -n "$standin_socket" ]] && echo 1 || echo 0)" \
        -v https="$([[ -n "$https_port" ]] && echo 1 || echo 0)" \
        -v limits="$([[ "$rate_limits" == on ]] && echo 1 || echo 0)" \
        -v extra="$([[ -n "$extra_conf" ]] && echo 1 || echo 0)" \
        -v redirect="$([[ -n "$redirect_port" ]] && echo 1 || echo 0)" '
        /# @STANDIN_BEGIN@/ { skip = !standin; next }
        /# @STANDIN_END@/   { skip = 0; next }
        /# @REDIRECT_BEGIN@/ { skip = !redirect; next }
        /# @REDIRECT_END@/   { skip = 0; next }
        skip { next }
        /# @HTTPS@$/        { if (!https) next; sub(/ # @HTTPS@$/, "") }
        /# @RATE_LIMITS@$/  { if (!limits) next; sub(/ # @RATE_LIMITS@$/, "") }
        /# @EXTRA@$/        { if (!extra) next; sub(/ # @EXTRA@$/, "") }
        { print }'
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
