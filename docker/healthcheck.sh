#!/bin/bash
# Container health check without curl in the image: GET /ready on HEALTHCHECK_PORT over bash's
# /dev/tcp; healthy only on HTTP 200.
set -eu
port="${HEALTHCHECK_PORT:-8000}"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /ready HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS=' ' read -r _ status _ <&3
[ "$status" = "200" ]
