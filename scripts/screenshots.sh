#!/usr/bin/env bash
# Screenshots of the static pages (and of a mock of the service's success page,
# to show the CSS vocabulary) served through the development nginx config.
#   scripts/screenshots.sh            -> PNGs in $SHOTS_DIR [.run/screenshots]
# Env: SHOTS_DIR, SHOTS_PORT [18580], CHROMIUM [chromium]. Needs chromium and nginx.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shots="${SHOTS_DIR:-$repo/.run/screenshots}"
port="${SHOTS_PORT:-18580}"
chromium="${CHROMIUM:-chromium}"
work="$(mktemp -d)"
nginx_pid=""
cleanup() { [[ -z "$nginx_pid" ]] || { kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$shots"

cat >"$work/extra.conf" <<'CONF'
location = /_shot/403 { return 403; }
location = /_shot/404 { return 404; }
location = /_shot/413 { return 413; }
location = /_shot/429 { return 429; }
location = /_shot/502 { return 502; }
location = /_shot/success {
    default_type text/html;
    charset utf-8;
    return 200 '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Вход выполнен · HH Auth</title><link rel="stylesheet" href="/static/style.css"></head><body><main class="card success"><div class="logo" aria-hidden="true">hh</div><h1>Вход выполнен</h1><span class="en">You are signed in</span><p class="lead">Скопируйте код и вставьте его в приложение. Код действует 5 минут и только один раз.</p><span class="en">Copy this code into your application. It is valid for 5 minutes, once.</span><code class="code" id="exchange-code">q3T9v0cJxk2mZ8b1YwLr5N7aPdE4sHfU</code><div class="notice">Никому не сообщайте этот код.<span class="en">Do not share this code with anyone.</span></div><div class="footer">HH Auth</div></main></body></html>';
}
location = /_shot/denied {
    default_type text/html;
    charset utf-8;
    return 403 '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Нет доступа · HH Auth</title><link rel="stylesheet" href="/static/style.css"></head><body><main class="card error"><div class="status">403</div><h1>Нет доступа</h1><span class="en">Access denied</span><p class="lead error">Пользователь 100000002 не допущен к сервису.</p><span class="en">User 100000002 is not allowed to access this service.</span><div class="actions"><a class="button" href="/auth/login">Войти снова<span class="en">Sign in again</span></a></div><div class="footer">HH Auth</div></main></body></html>';
}
CONF

NGINX_PREFIX="$work/nginx" SERVICE_SOCKET="$work/none.sock" HTTP_PORT="$port" HTTPS_PORT="" \
    RATE_LIMITS=off EXTRA_SERVER_CONF="$work/extra.conf" "$repo/scripts/render-nginx.sh" >/dev/null
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
nginx_pid=$!
for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

shot() { # name path [WxH]
    timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --screenshot="$shots/$1.png" --window-size="${3:-1200,800}" \
        "http://127.0.0.1:$port$2" >/dev/null 2>&1
    echo "  $shots/$1.png"
}
echo "screenshots:"
shot login /
shot login-mobile / 390,760
shot 403 /_shot/403
shot 404 /_shot/404
shot 413 /_shot/413
shot 429 /_shot/429
shot 50x /_shot/502
shot success-mock /_shot/success
shot denied-mock /_shot/denied
