# Three clients of lesson 05's server, driven from bash (lesson 05).
#
#     bash three_clients.sh PORT
#
# alice and bob connect and read the greeting; carol connects third (the
# server runs with --max-clients 2) and reads until EOF. Then alice sends a
# line, and bob one with a UTF-8 é, a byte that is not UTF-8 and a terminal
# escape; bob's echo is shown with %q. Last, alice waits for the server to
# close the connection.
port=$1
exec 3<>"/dev/tcp/127.0.0.1/$port"
IFS= read -r line <&3; echo "alice< $line"
exec 4<>"/dev/tcp/127.0.0.1/$port"
IFS= read -r line <&4; echo "bob< $line"
exec 5<>"/dev/tcp/127.0.0.1/$port"
IFS= read -r line <&5; echo "carol< $line"
IFS= read -r line <&5; echo "carol: read returned $? (connection closed)"
printf 'hi, I am alice\n' >&3
IFS= read -r line <&3; echo "alice< $line"
printf 'caf\xc3\xa9 \xff \x1b[31mred\n' >&4
IFS= read -r line <&4; printf 'bob< %q\n' "$line"
IFS= read -r line <&3; echo "alice: read returned $? (server closed the connection)"
