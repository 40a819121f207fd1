#!/bin/sh
# /config.json for the console from the environment (see src/rvi_platform/console/settings.py).
set -eu
oidc=null
if [ -n "${RVI_CONSOLE_OIDC_ISSUER:-}" ] && [ -n "${RVI_CONSOLE_OIDC_CLIENT_ID:-}" ]; then
  oidc="{\"issuer\":\"${RVI_CONSOLE_OIDC_ISSUER}\",\"clientId\":\"${RVI_CONSOLE_OIDC_CLIENT_ID}\",\"scope\":\"${RVI_CONSOLE_OIDC_SCOPE:-openid profile}\"}"
fi
cat > /usr/share/nginx/html/config.json <<JSON
{"apis":{"eligibility":"${RVI_CONSOLE_ELIGIBILITY_URL}","scheduling":"${RVI_CONSOLE_SCHEDULING_URL}","videoGateway":"${RVI_CONSOLE_VIDEO_GATEWAY_URL}","documents":"${RVI_CONSOLE_DOCUMENTS_URL}"},"oidc":${oidc},"devSignIn":false}
JSON
