# The naive baseline: one open request per pid, one CSV row per request.
# mawk -F'\t' -f bench/naive.awk capture.log > out.csv
function flush(p) {
    if (p in cnt) {
        print p "," cnt[p] "," uri[p] "," outcome[p] "," size[p] "," crc[p]
        delete cnt[p]
    }
}
{
    msg = $3
    if (substr(msg, 1, 1) != "[") next
    p = substr(msg, 2, index(msg, "]") - 2)
    if (index(msg, "rMsg") == 0) next
    if ((i = index(msg, "cnt = ")) > 0) {
        flush(p)
        rest = substr(msg, i + 6)
        cnt[p] = substr(rest, 1, index(rest, " ") - 1)
        u = substr(rest, index(rest, "URI: ") + 5)
        j = index(u, " FILE = ")
        uri[p] = (j > 0) ? substr(u, 1, j - 1) : u
        outcome[p] = "incomplete"; size[p] = ""; crc[p] = ""
    } else if (index(msg, "not using SSL")) { outcome[p] = "plain_http"; flush(p) }
    else if (index(msg, "Cert not found")) { outcome[p] = "cert_not_found"; flush(p) }
    else if (index(msg, "No client certificate")) { outcome[p] = "no_cert"; flush(p) }
    else if ((i = index(msg, "cert size: ")) > 0) { split(substr(msg, i + 11), a, " "); size[p] = a[1] }
    else if ((i = index(msg, "cert crc: ")) > 0) { crc[p] = substr(msg, i + 10) + 0; outcome[p] = "cert_ok"; flush(p) }
    else if (index(msg, "FATAL Error")) { outcome[p] = (index(msg, "Negotiate") ? "negotiate_failed" : "get_cert_failed"); flush(p) }
}
END { for (p in cnt) flush(p) }
