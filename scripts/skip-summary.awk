# The skipped tests of a ctest log (Testing/Temporary/LastTest.log), counted by
# the reason each gave: GoogleTest's "file:line: Skipped" and the line after it,
# else (a script's skip exit code) the last line the test printed.
/^[0-9]+\/[0-9]+ Test: / { reason = ""; last = ""; out = 0 }
/^Output:$/ { out = 1; next }
/^<end of output>$/ { out = 0; next }
out && /: Skipped$/ { if ((getline r) > 0 && reason == "") reason = r; next }
out && NF && !/^\[/ && !/^-+$/ { last = $0 }
/^Skip regular expression found in output|^Skip return code/ {
  if (reason == "") reason = last
  if (reason == "") reason = "(no reason given)"
  n++
  why[reason]++
}
END {
  if (!n) { print "skipped: none"; exit }
  printf "skipped %d test(s), by reason:\n", n
  for (r in why) printf "  %4d  %s\n", why[r], r
}
