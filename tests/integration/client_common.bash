# client_common.bash: helpers shared by the client tests (4x, 7x; sourced
# after tests/lib.sh and lab_up, not a test itself): the porthole CLI on the
# mail server with a state file of the lab's, and a field of its JSON.
export PORTHOLE_STATE=$LAB_DIR/state
PH="$BIN/porthole"
ph_mail() { in_mail "$PH" -t 1500 "$@"; }
# json_get EXPR: EXPR (Python, the JSON read from stdin as d), printed.
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
