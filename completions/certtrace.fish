# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_certtrace_global_optspecs
    string join \n color= h/help V/version
end

function __fish_certtrace_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_certtrace_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_certtrace_using_subcommand
    set -l cmd (__fish_certtrace_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c certtrace -n "__fish_certtrace_needs_command" -l color -d 'When to colour table output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c certtrace -n "__fish_certtrace_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c certtrace -n "__fish_certtrace_needs_command" -s V -l version -d 'Print version'
complete -c certtrace -n "__fish_certtrace_needs_command" -f -a "read" -d 'Read captures (DebugView and DebugView++ logs, raw lines, JSON, `.etl` files; `-` is stdin) and report every request'
complete -c certtrace -n "__fish_certtrace_needs_command" -f -a "tail" -d 'Follow captures as they grow, like `tail -F` (same as `read -f`): a live dashboard on a terminal, NDJSON for scripts'
complete -c certtrace -n "__fish_certtrace_needs_command" -f -a "demo" -d 'Run the pipeline on a built-in realistic capture (several worker processes, a recycle, concurrency, lost lines, every outcome)'
complete -c certtrace -n "__fish_certtrace_needs_command" -f -a "etl" -d 'Inspect any `.etl` file: logfile header, record kinds, providers, lost events, first events'
complete -c certtrace -n "__fish_certtrace_needs_command" -f -a "crc" -d 'Print what the module would log for certificates: DER size, plain CRC-32, and the chained CRCs one worker process would print for them in this order, with their identity'
complete -c certtrace -n "__fish_certtrace_needs_command" -f -a "certs" -d 'Read captures and list one row per distinct client certificate seen (requests, first and last seen, pids, URIs, outcomes)'
complete -c certtrace -n "__fish_certtrace_needs_command" -f -a "live" -d 'Capture live on Windows (ETW real-time session and/or OutputDebugString) and report requests as they happen; Ctrl-C stops the capture, drains it and prints the summary'
complete -c certtrace -n "__fish_certtrace_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c certtrace -n "__fish_certtrace_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l input-format -d 'Input format (auto-detected per file from its first 64 lines; each line is then read by its own shape)' -r -f -a "auto\t'Detect from the first 64 lines (or the first bytes for `.etl`)'
debugview\t'DebugView log: `index<TAB>time<TAB>[pid] message`, saved with or without its `[\\\\COMPUTER]` header'
dblog\t'DebugView++ log (`.dblog`): `elapsed<TAB>date time<TAB>pid<TAB>process<TAB>message`'
raw\t'One message per line, nothing else'
json\t'JSON values (one a line, pretty-printed or back to back): certtrace events, SilkETW or Sealighter output'"
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l encoding -d 'Code page of captures that are not UTF-8 or UTF-16, as a WHATWG label: windows-1252, gbk, shift_jis, windows-1251, ... [default: UTF-8, lines that are not valid UTF-8 as windows-1252]' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l host -d 'The host (computer) of inputs that do not name one (a saved DebugView log\'s `[\\\\NAME]` header does)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l pid -d 'The worker process pid for input without pids (raw lines, DebugView without "show process id"); input with pids is limited to this pid' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l field -d 'JSON collectors and TraceLogging events: the payload field holding the message [default: msg/message, else the first string field]' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l provider -d '`.etl` files: only events of this ETW provider (GUID, or a TraceLogging provider name, hashed to its GUID as Windows does)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l etl-backend -d '`.etl` files: which reader turns them into events' -r -f -a "portable\t'certtrace\'s own reader, on every OS (the same results everywhere)'
ferrisetw\t'Windows\' ETW consumer API through ferrisetw\'s FileTrace, to cross-check (Windows only)'"
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -s o -l format -d 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]' -r -f -a "table\t'Tables for people (default on a terminal)'
ndjson\t'One JSON object per line (default when piped)'
json\t'One JSON document'
dashboard\t'Live dashboard redrawn in place (default when following on a terminal)'"
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l outcome -d 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l uri -d 'Only report requests whose URI matches this regular expression' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l certs -d 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l crc-mode -d 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)' -r -f -a "auto\t''
chained\t''
plain\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l since -d 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture\'s own kind of time' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l until-time -d 'Only report what happened at or before this capture time (same forms as --since)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l paging -d 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped' -r -f -a "auto\t'On a terminal, when the report is longer than the screen'
always\t'On a terminal, always'
never\t'Never'"
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l output -d 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l rotate-size -d 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l rotate-keep -d 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l redact -d 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated' -r -f -a "query\t'The query string of every URI (after `?`), in request and certificate records and in message texts'
subject\t'Certificate subjects (request and certificate records), and the catalog file a certificate was loaded from'"
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l redact-key -d 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l fail-on -d 'Exit with code 3 as soon as one of these is reported (after flushing it): an outcome, `failure` (any failed request), `gap`, `recycle`, `module_error`. Comma-separated or repeated' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l until -d 'Stop (exit 0) after reporting this many requests' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l duration -d 'Stop (exit 0) after this many seconds' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l summary-every -d 'Emit a `summary` record of the totals so far (`"snapshot": true`) every SECS seconds' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l color -d 'When to colour table output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l requests -d 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40; following, they print as they come)'
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l show-unknown -d 'Also list lines that are not module messages (other software, unknown module messages)'
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -s f -l follow -d 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it'
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l from-start -d 'Following: read what the files hold already first (default: start at their end)'
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -l poll -d 'Following: check the files every 50 ms instead of waiting for OS file notifications (network shares, unusual file systems)'
complete -c certtrace -n "__fish_certtrace_using_subcommand read" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l input-format -d 'Input format (auto-detected per file from its first 64 lines; each line is then read by its own shape)' -r -f -a "auto\t'Detect from the first 64 lines (or the first bytes for `.etl`)'
debugview\t'DebugView log: `index<TAB>time<TAB>[pid] message`, saved with or without its `[\\\\COMPUTER]` header'
dblog\t'DebugView++ log (`.dblog`): `elapsed<TAB>date time<TAB>pid<TAB>process<TAB>message`'
raw\t'One message per line, nothing else'
json\t'JSON values (one a line, pretty-printed or back to back): certtrace events, SilkETW or Sealighter output'"
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l encoding -d 'Code page of captures that are not UTF-8 or UTF-16, as a WHATWG label: windows-1252, gbk, shift_jis, windows-1251, ... [default: UTF-8, lines that are not valid UTF-8 as windows-1252]' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l host -d 'The host (computer) of inputs that do not name one (a saved DebugView log\'s `[\\\\NAME]` header does)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l pid -d 'The worker process pid for input without pids (raw lines, DebugView without "show process id"); input with pids is limited to this pid' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l field -d 'JSON collectors and TraceLogging events: the payload field holding the message [default: msg/message, else the first string field]' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l provider -d '`.etl` files: only events of this ETW provider (GUID, or a TraceLogging provider name, hashed to its GUID as Windows does)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l etl-backend -d '`.etl` files: which reader turns them into events' -r -f -a "portable\t'certtrace\'s own reader, on every OS (the same results everywhere)'
ferrisetw\t'Windows\' ETW consumer API through ferrisetw\'s FileTrace, to cross-check (Windows only)'"
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -s o -l format -d 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]' -r -f -a "table\t'Tables for people (default on a terminal)'
ndjson\t'One JSON object per line (default when piped)'
json\t'One JSON document'
dashboard\t'Live dashboard redrawn in place (default when following on a terminal)'"
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l outcome -d 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l uri -d 'Only report requests whose URI matches this regular expression' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l certs -d 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l crc-mode -d 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)' -r -f -a "auto\t''
chained\t''
plain\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l since -d 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture\'s own kind of time' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l until-time -d 'Only report what happened at or before this capture time (same forms as --since)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l paging -d 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped' -r -f -a "auto\t'On a terminal, when the report is longer than the screen'
always\t'On a terminal, always'
never\t'Never'"
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l output -d 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l rotate-size -d 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l rotate-keep -d 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l redact -d 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated' -r -f -a "query\t'The query string of every URI (after `?`), in request and certificate records and in message texts'
subject\t'Certificate subjects (request and certificate records), and the catalog file a certificate was loaded from'"
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l redact-key -d 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l fail-on -d 'Exit with code 3 as soon as one of these is reported (after flushing it): an outcome, `failure` (any failed request), `gap`, `recycle`, `module_error`. Comma-separated or repeated' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l until -d 'Stop (exit 0) after reporting this many requests' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l duration -d 'Stop (exit 0) after this many seconds' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l summary-every -d 'Emit a `summary` record of the totals so far (`"snapshot": true`) every SECS seconds' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l color -d 'When to colour table output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l requests -d 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40; following, they print as they come)'
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l show-unknown -d 'Also list lines that are not module messages (other software, unknown module messages)'
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -s f -l follow -d 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it'
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l from-start -d 'Following: read what the files hold already first (default: start at their end)'
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -l poll -d 'Following: check the files every 50 ms instead of waiting for OS file notifications (network shares, unusual file systems)'
complete -c certtrace -n "__fish_certtrace_using_subcommand tail" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l write -d 'Save the capture (DebugView log, certtrace JSON events with thread ids, the truth) to this directory instead of reporting on it' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l requests -d 'Requests to simulate' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l seed -d 'Seed of the simulation (same seed, same capture)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -s o -l format -d 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]' -r -f -a "table\t'Tables for people (default on a terminal)'
ndjson\t'One JSON object per line (default when piped)'
json\t'One JSON document'
dashboard\t'Live dashboard redrawn in place (default when following on a terminal)'"
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l outcome -d 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l uri -d 'Only report requests whose URI matches this regular expression' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l certs -d 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l crc-mode -d 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)' -r -f -a "auto\t''
chained\t''
plain\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l since -d 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture\'s own kind of time' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l until-time -d 'Only report what happened at or before this capture time (same forms as --since)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l paging -d 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped' -r -f -a "auto\t'On a terminal, when the report is longer than the screen'
always\t'On a terminal, always'
never\t'Never'"
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l output -d 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l rotate-size -d 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l rotate-keep -d 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l redact -d 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated' -r -f -a "query\t'The query string of every URI (after `?`), in request and certificate records and in message texts'
subject\t'Certificate subjects (request and certificate records), and the catalog file a certificate was loaded from'"
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l redact-key -d 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l color -d 'When to colour table output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l list-requests -d 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40)'
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -l show-unknown -d 'Also list lines that are not module messages (other software, unknown module messages)'
complete -c certtrace -n "__fish_certtrace_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c certtrace -n "__fish_certtrace_using_subcommand etl" -l first -d 'How many of the first events to list' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand etl" -s o -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand etl" -l color -d 'When to colour table output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand etl" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c certtrace -n "__fish_certtrace_using_subcommand crc" -s o -l format -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand crc" -l color -d 'When to colour table output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand crc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l input-format -d 'Input format (auto-detected per file from its first 64 lines; each line is then read by its own shape)' -r -f -a "auto\t'Detect from the first 64 lines (or the first bytes for `.etl`)'
debugview\t'DebugView log: `index<TAB>time<TAB>[pid] message`, saved with or without its `[\\\\COMPUTER]` header'
dblog\t'DebugView++ log (`.dblog`): `elapsed<TAB>date time<TAB>pid<TAB>process<TAB>message`'
raw\t'One message per line, nothing else'
json\t'JSON values (one a line, pretty-printed or back to back): certtrace events, SilkETW or Sealighter output'"
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l encoding -d 'Code page of captures that are not UTF-8 or UTF-16, as a WHATWG label: windows-1252, gbk, shift_jis, windows-1251, ... [default: UTF-8, lines that are not valid UTF-8 as windows-1252]' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l host -d 'The host (computer) of inputs that do not name one (a saved DebugView log\'s `[\\\\NAME]` header does)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l pid -d 'The worker process pid for input without pids (raw lines, DebugView without "show process id"); input with pids is limited to this pid' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l field -d 'JSON collectors and TraceLogging events: the payload field holding the message [default: msg/message, else the first string field]' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l provider -d '`.etl` files: only events of this ETW provider (GUID, or a TraceLogging provider name, hashed to its GUID as Windows does)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l etl-backend -d '`.etl` files: which reader turns them into events' -r -f -a "portable\t'certtrace\'s own reader, on every OS (the same results everywhere)'
ferrisetw\t'Windows\' ETW consumer API through ferrisetw\'s FileTrace, to cross-check (Windows only)'"
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -s o -l format -d 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]' -r -f -a "table\t'Tables for people (default on a terminal)'
ndjson\t'One JSON object per line (default when piped)'
json\t'One JSON document'
dashboard\t'Live dashboard redrawn in place (default when following on a terminal)'"
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l outcome -d 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l uri -d 'Only report requests whose URI matches this regular expression' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l certs -d 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l crc-mode -d 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)' -r -f -a "auto\t''
chained\t''
plain\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l since -d 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture\'s own kind of time' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l until-time -d 'Only report what happened at or before this capture time (same forms as --since)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l paging -d 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped' -r -f -a "auto\t'On a terminal, when the report is longer than the screen'
always\t'On a terminal, always'
never\t'Never'"
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l output -d 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l rotate-size -d 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l rotate-keep -d 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l redact -d 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated' -r -f -a "query\t'The query string of every URI (after `?`), in request and certificate records and in message texts'
subject\t'Certificate subjects (request and certificate records), and the catalog file a certificate was loaded from'"
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l redact-key -d 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l fail-on -d 'Exit with code 3 as soon as one of these is reported (after flushing it): an outcome, `failure` (any failed request), `gap`, `recycle`, `module_error`. Comma-separated or repeated' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l until -d 'Stop (exit 0) after reporting this many requests' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l duration -d 'Stop (exit 0) after this many seconds' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l summary-every -d 'Emit a `summary` record of the totals so far (`"snapshot": true`) every SECS seconds' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l color -d 'When to colour table output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l requests -d 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40; following, they print as they come)'
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l show-unknown -d 'Also list lines that are not module messages (other software, unknown module messages)'
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -s f -l follow -d 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it'
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l from-start -d 'Following: read what the files hold already first (default: start at their end)'
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -l poll -d 'Following: check the files every 50 ms instead of waiting for OS file notifications (network shares, unusual file systems)'
complete -c certtrace -n "__fish_certtrace_using_subcommand certs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l etw -d 'Capture this ETW provider: a GUID, or a TraceLogging provider name (hashed to its GUID as Windows does). Needs administrator rights or the "Performance Log Users" group' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l session -d 'ETW session name; an existing session of this name left over from a run that did not stop is stopped and replaced (never one another running certtrace owns)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l buffer-kb -d 'Size of each ETW session buffer in KB (logman -bs; 4 to 16384)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l min-buffers -d 'ETW session buffers allocated at start (logman -nb MIN)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l max-buffers -d 'Most ETW session buffers while certtrace is behind (logman -nb .. MAX); events beyond them are lost and reported' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l flush-ms -d 'Deliver ETW buffers that are not full after this many milliseconds (logman -ft)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l save-max-mb -d 'Largest --save FILE.etl in MB: the file is circular, the newest events are kept' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l field -d 'TraceLogging field holding the message (default: the event\'s first string field)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l keywords -d 'Match-any keyword mask for the provider (hex with 0x, or decimal)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l level -d 'Highest event level enabled (1 critical .. 5 verbose)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l process -d 'Keep only messages of processes with this executable name (case-insensitive; `w3wp` or `w3wp.exe`)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l save -d 'Also save the capture: FILE.etl records the ETW session itself (with --etw), any other name writes a DebugView-format log. May be given twice (one .etl, one log)' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -s o -l format -d 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]' -r -f -a "table\t'Tables for people (default on a terminal)'
ndjson\t'One JSON object per line (default when piped)'
json\t'One JSON document'
dashboard\t'Live dashboard redrawn in place (default when following on a terminal)'"
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l outcome -d 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l uri -d 'Only report requests whose URI matches this regular expression' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l certs -d 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l crc-mode -d 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)' -r -f -a "auto\t''
chained\t''
plain\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l since -d 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture\'s own kind of time' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l until-time -d 'Only report what happened at or before this capture time (same forms as --since)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l paging -d 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped' -r -f -a "auto\t'On a terminal, when the report is longer than the screen'
always\t'On a terminal, always'
never\t'Never'"
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l output -d 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to' -r -F
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l rotate-size -d 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l rotate-keep -d 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l redact -d 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated' -r -f -a "query\t'The query string of every URI (after `?`), in request and certificate records and in message texts'
subject\t'Certificate subjects (request and certificate records), and the catalog file a certificate was loaded from'"
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l redact-key -d 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)' -r
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l color -d 'When to colour table output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l debug-output -d 'Capture OutputDebugString output (the DBWIN protocol, as DebugView)'
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l global -d 'With --debug-output: listen on the Global\\ objects, where services such as IIS worker processes (session 0) write. Needs administrator rights'
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -l show-unknown -d 'Also list lines that are not module messages (other software, unknown module messages)'
complete -c certtrace -n "__fish_certtrace_using_subcommand live" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c certtrace -n "__fish_certtrace_using_subcommand completions" -l color -d 'When to colour table output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c certtrace -n "__fish_certtrace_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c certtrace -n "__fish_certtrace_using_subcommand help; and not __fish_seen_subcommand_from read tail demo etl crc certs live completions help" -f -a "read" -d 'Read captures (DebugView and DebugView++ logs, raw lines, JSON, `.etl` files; `-` is stdin) and report every request'
complete -c certtrace -n "__fish_certtrace_using_subcommand help; and not __fish_seen_subcommand_from read tail demo etl crc certs live completions help" -f -a "tail" -d 'Follow captures as they grow, like `tail -F` (same as `read -f`): a live dashboard on a terminal, NDJSON for scripts'
complete -c certtrace -n "__fish_certtrace_using_subcommand help; and not __fish_seen_subcommand_from read tail demo etl crc certs live completions help" -f -a "demo" -d 'Run the pipeline on a built-in realistic capture (several worker processes, a recycle, concurrency, lost lines, every outcome)'
complete -c certtrace -n "__fish_certtrace_using_subcommand help; and not __fish_seen_subcommand_from read tail demo etl crc certs live completions help" -f -a "etl" -d 'Inspect any `.etl` file: logfile header, record kinds, providers, lost events, first events'
complete -c certtrace -n "__fish_certtrace_using_subcommand help; and not __fish_seen_subcommand_from read tail demo etl crc certs live completions help" -f -a "crc" -d 'Print what the module would log for certificates: DER size, plain CRC-32, and the chained CRCs one worker process would print for them in this order, with their identity'
complete -c certtrace -n "__fish_certtrace_using_subcommand help; and not __fish_seen_subcommand_from read tail demo etl crc certs live completions help" -f -a "certs" -d 'Read captures and list one row per distinct client certificate seen (requests, first and last seen, pids, URIs, outcomes)'
complete -c certtrace -n "__fish_certtrace_using_subcommand help; and not __fish_seen_subcommand_from read tail demo etl crc certs live completions help" -f -a "live" -d 'Capture live on Windows (ETW real-time session and/or OutputDebugString) and report requests as they happen; Ctrl-C stops the capture, drains it and prints the summary'
complete -c certtrace -n "__fish_certtrace_using_subcommand help; and not __fish_seen_subcommand_from read tail demo etl crc certs live completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c certtrace -n "__fish_certtrace_using_subcommand help; and not __fish_seen_subcommand_from read tail demo etl crc certs live completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
