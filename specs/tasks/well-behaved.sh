#!/bin/sh
# A well-behaved "uploaded task": handler(payload) counts the words of its payload.
payload=${1:-"the quick brown fox jumps over the lazy dog"}
n=$(echo "$payload" | wc -w)
echo "handler: $n words"
echo "$n" > /tmp/result && cat /tmp/result >/dev/null
exit 0
