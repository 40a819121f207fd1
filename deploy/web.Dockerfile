# The console (web/) as its own image: built with Node from package-lock.json (npm registry
# only), served by nginx as static files with an index.html fallback. /config.json is written at
# start from the environment: the APIs' public origins and the OpenID Provider. The development
# sign-in does not exist here (devSignIn false, no /dev/*).
FROM node:20-bookworm-slim AS build
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM nginx:1.27-alpine
COPY --from=build /web/dist /usr/share/nginx/html
COPY deploy/web/nginx.conf /etc/nginx/conf.d/default.conf
COPY deploy/web/40-rvi-config.sh /docker-entrypoint.d/40-rvi-config.sh
RUN chmod +x /docker-entrypoint.d/40-rvi-config.sh
EXPOSE 8080
