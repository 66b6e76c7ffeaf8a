#!/usr/bin/env bash
# The Chinese edition's gettext chores (mdbook-i18n-helpers + GNU gettext).
#
#   book/i18n.sh update   extract po/messages.pot from the English chapters and
#                         merge it into po/zh-CN.po (new paragraphs come in
#                         untranslated, changed ones fuzzy: translate them)
#   book/i18n.sh check    fail when po/messages.pot is out of date with the
#                         English, or po/zh-CN.po has an untranslated or fuzzy
#                         message, or does not compile (msgfmt --check)
#   book/i18n.sh build    build the Chinese edition into book/book/zh-CN/
#
# Why fail instead of falling back to English: a translation frozen at the
# date it was made drifts a little with every English edit. Here an English
# change that is not translated in the same commit fails `make test-all`.
set -euo pipefail
cd "$(dirname "$0")/.."

LANG_CODE=zh-CN
PO=po/$LANG_CODE.po
POT=po/messages.pot
TITLE="套接字课程：用 Rust 写 TCP 与 UDP，一次一个小程序"

# Writes the template of the English text to $1/messages.pot. Line numbers are
# left out (granularity 0), so editing one paragraph does not touch the
# location of every message after it.
extract() {
    MDBOOK_OUTPUT='{"xgettext": {"pot-file": "messages.pot", "granularity": 0}}' \
        mdbook build book -d "$1" >/dev/null 2>"$1.log" \
        || { cat "$1.log" >&2; echo "error: mdbook-xgettext failed" >&2; exit 1; }
}

# The template without its creation date, which changes on every run.
undated() { grep -v '^"POT-Creation-Date: ' "$1"; }

case "${1:-}" in
update)
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    extract "$tmp/pot"
    if [ -f "$POT" ] && diff -q <(undated "$POT") <(undated "$tmp/pot/messages.pot") >/dev/null; then
        echo "i18n: $POT is current"
    else
        cp "$tmp/pot/messages.pot" "$POT"
        echo "i18n: wrote $POT"
    fi
    if [ -f "$PO" ]; then
        msgmerge --quiet --update --backup=none --no-wrap "$PO" "$POT"
    else
        msginit --no-translator --no-wrap -l zh_CN -i "$POT" -o "$PO"
    fi
    msgattrib --no-obsolete --no-wrap -o "$PO" "$PO"
    echo -n "i18n: $PO: "; msgfmt --statistics -o /dev/null "$PO" 2>&1
    ;;
check)
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    extract "$tmp/pot"
    if ! diff -u <(undated "$POT") <(undated "$tmp/pot/messages.pot") >"$tmp/pot.diff"; then
        head -40 "$tmp/pot.diff" >&2
        echo "error: $POT is out of date with the English chapters: run 'make i18n-update', then translate what it marks in $PO" >&2
        exit 1
    fi
    # Merge into a copy, so a message the English has and the .po lacks
    # counts as untranslated even if nobody ran i18n-update.
    msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" "$PO" "$POT"
    msgfmt --check -o /dev/null "$PO"
    stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/merged.po" 2>&1)
    echo "i18n: $PO: $stats"
    if grep -qE 'fuzzy|untranslated' <<<"$stats"; then
        msgattrib --only-fuzzy --no-wrap "$tmp/merged.po" | grep -m5 -A2 '^#:' >&2 || true
        msgattrib --untranslated --no-wrap "$tmp/merged.po" | grep -m5 -A2 '^#:' >&2 || true
        echo "error: $PO is not complete: translate every untranslated or fuzzy message (make i18n-update lists them)" >&2
        exit 1
    fi
    ;;
build)
    MDBOOK_BOOK__LANGUAGE=$LANG_CODE MDBOOK_BOOK__TITLE="$TITLE" \
        mdbook build book -d book/book/$LANG_CODE
    ;;
*)
    echo "usage: book/i18n.sh update|check|build" >&2
    exit 2
    ;;
esac
