
use builtin;
use str;

set edit:completion:arg-completer[certtrace] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'certtrace'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'certtrace'= {
            cand --color 'When to colour table output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand read 'Read captures (DebugView and DebugView++ logs, raw lines, JSON, `.etl` files; `-` is stdin) and report every request'
            cand tail 'Follow captures as they grow, like `tail -F` (same as `read -f`): a live dashboard on a terminal, NDJSON for scripts'
            cand demo 'Run the pipeline on a built-in realistic capture (several worker processes, a recycle, concurrency, lost lines, every outcome)'
            cand etl 'Inspect any `.etl` file: logfile header, record kinds, providers, lost events, first events'
            cand crc 'Print what the module would log for certificates: DER size, plain CRC-32, and the chained CRCs one worker process would print for them in this order, with their identity'
            cand certs 'Read captures and list one row per distinct client certificate seen (requests, first and last seen, pids, URIs, outcomes)'
            cand live 'Capture live on Windows (ETW real-time session and/or OutputDebugString) and report requests as they happen; Ctrl-C stops the capture, drains it and prints the summary'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'certtrace;read'= {
            cand --input-format 'Input format (auto-detected per file from its first 64 lines; each line is then read by its own shape)'
            cand --encoding 'Code page of captures that are not UTF-8 or UTF-16, as a WHATWG label: windows-1252, gbk, shift_jis, windows-1251, ... [default: UTF-8, lines that are not valid UTF-8 as windows-1252]'
            cand --host 'The host (computer) of inputs that do not name one (a saved DebugView log''s `[\\NAME]` header does)'
            cand --pid 'The worker process pid for input without pids (raw lines, DebugView without "show process id"); input with pids is limited to this pid'
            cand --field 'JSON collectors and TraceLogging events: the payload field holding the message [default: msg/message, else the first string field]'
            cand --provider '`.etl` files: only events of this ETW provider (GUID, or a TraceLogging provider name, hashed to its GUID as Windows does)'
            cand --etl-backend '`.etl` files: which reader turns them into events'
            cand -o 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --format 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --outcome 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete'
            cand --uri 'Only report requests whose URI matches this regular expression'
            cand --certs 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)'
            cand --crc-mode 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)'
            cand --since 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time'
            cand --until-time 'Only report what happened at or before this capture time (same forms as --since)'
            cand --paging 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped'
            cand --output 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to'
            cand --rotate-size 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect'
            cand --rotate-keep 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted'
            cand --redact 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated'
            cand --redact-key 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)'
            cand --fail-on 'Exit with code 3 as soon as one of these is reported (after flushing it): an outcome, `failure` (any failed request), `gap`, `recycle`, `module_error`. Comma-separated or repeated'
            cand --until 'Stop (exit 0) after reporting this many requests'
            cand --duration 'Stop (exit 0) after this many seconds'
            cand --summary-every 'Emit a `summary` record of the totals so far (`"snapshot": true`) every SECS seconds'
            cand --color 'When to colour table output'
            cand --requests 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40; following, they print as they come)'
            cand --show-unknown 'Also list lines that are not module messages (other software, unknown module messages)'
            cand -f 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it'
            cand --follow 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it'
            cand --from-start 'Following: read what the files hold already first (default: start at their end)'
            cand --poll 'Following: check the files every 50 ms instead of waiting for OS file notifications (network shares, unusual file systems)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'certtrace;tail'= {
            cand --input-format 'Input format (auto-detected per file from its first 64 lines; each line is then read by its own shape)'
            cand --encoding 'Code page of captures that are not UTF-8 or UTF-16, as a WHATWG label: windows-1252, gbk, shift_jis, windows-1251, ... [default: UTF-8, lines that are not valid UTF-8 as windows-1252]'
            cand --host 'The host (computer) of inputs that do not name one (a saved DebugView log''s `[\\NAME]` header does)'
            cand --pid 'The worker process pid for input without pids (raw lines, DebugView without "show process id"); input with pids is limited to this pid'
            cand --field 'JSON collectors and TraceLogging events: the payload field holding the message [default: msg/message, else the first string field]'
            cand --provider '`.etl` files: only events of this ETW provider (GUID, or a TraceLogging provider name, hashed to its GUID as Windows does)'
            cand --etl-backend '`.etl` files: which reader turns them into events'
            cand -o 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --format 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --outcome 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete'
            cand --uri 'Only report requests whose URI matches this regular expression'
            cand --certs 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)'
            cand --crc-mode 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)'
            cand --since 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time'
            cand --until-time 'Only report what happened at or before this capture time (same forms as --since)'
            cand --paging 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped'
            cand --output 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to'
            cand --rotate-size 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect'
            cand --rotate-keep 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted'
            cand --redact 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated'
            cand --redact-key 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)'
            cand --fail-on 'Exit with code 3 as soon as one of these is reported (after flushing it): an outcome, `failure` (any failed request), `gap`, `recycle`, `module_error`. Comma-separated or repeated'
            cand --until 'Stop (exit 0) after reporting this many requests'
            cand --duration 'Stop (exit 0) after this many seconds'
            cand --summary-every 'Emit a `summary` record of the totals so far (`"snapshot": true`) every SECS seconds'
            cand --color 'When to colour table output'
            cand --requests 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40; following, they print as they come)'
            cand --show-unknown 'Also list lines that are not module messages (other software, unknown module messages)'
            cand -f 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it'
            cand --follow 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it'
            cand --from-start 'Following: read what the files hold already first (default: start at their end)'
            cand --poll 'Following: check the files every 50 ms instead of waiting for OS file notifications (network shares, unusual file systems)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'certtrace;demo'= {
            cand --write 'Save the capture (DebugView log, certtrace JSON events with thread ids, the truth) to this directory instead of reporting on it'
            cand --requests 'Requests to simulate'
            cand --seed 'Seed of the simulation (same seed, same capture)'
            cand -o 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --format 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --outcome 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete'
            cand --uri 'Only report requests whose URI matches this regular expression'
            cand --certs 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)'
            cand --crc-mode 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)'
            cand --since 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time'
            cand --until-time 'Only report what happened at or before this capture time (same forms as --since)'
            cand --paging 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped'
            cand --output 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to'
            cand --rotate-size 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect'
            cand --rotate-keep 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted'
            cand --redact 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated'
            cand --redact-key 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)'
            cand --color 'When to colour table output'
            cand --list-requests 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40)'
            cand --show-unknown 'Also list lines that are not module messages (other software, unknown module messages)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'certtrace;etl'= {
            cand --first 'How many of the first events to list'
            cand -o 'Output format'
            cand --format 'Output format'
            cand --color 'When to colour table output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'certtrace;crc'= {
            cand -o 'Output format'
            cand --format 'Output format'
            cand --color 'When to colour table output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'certtrace;certs'= {
            cand --input-format 'Input format (auto-detected per file from its first 64 lines; each line is then read by its own shape)'
            cand --encoding 'Code page of captures that are not UTF-8 or UTF-16, as a WHATWG label: windows-1252, gbk, shift_jis, windows-1251, ... [default: UTF-8, lines that are not valid UTF-8 as windows-1252]'
            cand --host 'The host (computer) of inputs that do not name one (a saved DebugView log''s `[\\NAME]` header does)'
            cand --pid 'The worker process pid for input without pids (raw lines, DebugView without "show process id"); input with pids is limited to this pid'
            cand --field 'JSON collectors and TraceLogging events: the payload field holding the message [default: msg/message, else the first string field]'
            cand --provider '`.etl` files: only events of this ETW provider (GUID, or a TraceLogging provider name, hashed to its GUID as Windows does)'
            cand --etl-backend '`.etl` files: which reader turns them into events'
            cand -o 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --format 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --outcome 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete'
            cand --uri 'Only report requests whose URI matches this regular expression'
            cand --certs 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)'
            cand --crc-mode 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)'
            cand --since 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time'
            cand --until-time 'Only report what happened at or before this capture time (same forms as --since)'
            cand --paging 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped'
            cand --output 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to'
            cand --rotate-size 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect'
            cand --rotate-keep 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted'
            cand --redact 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated'
            cand --redact-key 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)'
            cand --fail-on 'Exit with code 3 as soon as one of these is reported (after flushing it): an outcome, `failure` (any failed request), `gap`, `recycle`, `module_error`. Comma-separated or repeated'
            cand --until 'Stop (exit 0) after reporting this many requests'
            cand --duration 'Stop (exit 0) after this many seconds'
            cand --summary-every 'Emit a `summary` record of the totals so far (`"snapshot": true`) every SECS seconds'
            cand --color 'When to colour table output'
            cand --requests 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40; following, they print as they come)'
            cand --show-unknown 'Also list lines that are not module messages (other software, unknown module messages)'
            cand -f 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it'
            cand --follow 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it'
            cand --from-start 'Following: read what the files hold already first (default: start at their end)'
            cand --poll 'Following: check the files every 50 ms instead of waiting for OS file notifications (network shares, unusual file systems)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'certtrace;live'= {
            cand --etw 'Capture this ETW provider: a GUID, or a TraceLogging provider name (hashed to its GUID as Windows does). Needs administrator rights or the "Performance Log Users" group'
            cand --session 'ETW session name; an existing session of this name left over from a run that did not stop is stopped and replaced (never one another running certtrace owns)'
            cand --buffer-kb 'Size of each ETW session buffer in KB (logman -bs; 4 to 16384)'
            cand --min-buffers 'ETW session buffers allocated at start (logman -nb MIN)'
            cand --max-buffers 'Most ETW session buffers while certtrace is behind (logman -nb .. MAX); events beyond them are lost and reported'
            cand --flush-ms 'Deliver ETW buffers that are not full after this many milliseconds (logman -ft)'
            cand --save-max-mb 'Largest --save FILE.etl in MB: the file is circular, the newest events are kept'
            cand --field 'TraceLogging field holding the message (default: the event''s first string field)'
            cand --keywords 'Match-any keyword mask for the provider (hex with 0x, or decimal)'
            cand --level 'Highest event level enabled (1 critical .. 5 verbose)'
            cand --process 'Keep only messages of processes with this executable name (case-insensitive; `w3wp` or `w3wp.exe`)'
            cand --save 'Also save the capture: FILE.etl records the ETW session itself (with --etw), any other name writes a DebugView-format log. May be given twice (one .etl, one log)'
            cand -o 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --format 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --outcome 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete'
            cand --uri 'Only report requests whose URI matches this regular expression'
            cand --certs 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)'
            cand --crc-mode 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)'
            cand --since 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time'
            cand --until-time 'Only report what happened at or before this capture time (same forms as --since)'
            cand --paging 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped'
            cand --output 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to'
            cand --rotate-size 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect'
            cand --rotate-keep 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted'
            cand --redact 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated'
            cand --redact-key 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)'
            cand --color 'When to colour table output'
            cand --debug-output 'Capture OutputDebugString output (the DBWIN protocol, as DebugView)'
            cand --global 'With --debug-output: listen on the Global\ objects, where services such as IIS worker processes (session 0) write. Needs administrator rights'
            cand --show-unknown 'Also list lines that are not module messages (other software, unknown module messages)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'certtrace;completions'= {
            cand --color 'When to colour table output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'certtrace;help'= {
            cand read 'Read captures (DebugView and DebugView++ logs, raw lines, JSON, `.etl` files; `-` is stdin) and report every request'
            cand tail 'Follow captures as they grow, like `tail -F` (same as `read -f`): a live dashboard on a terminal, NDJSON for scripts'
            cand demo 'Run the pipeline on a built-in realistic capture (several worker processes, a recycle, concurrency, lost lines, every outcome)'
            cand etl 'Inspect any `.etl` file: logfile header, record kinds, providers, lost events, first events'
            cand crc 'Print what the module would log for certificates: DER size, plain CRC-32, and the chained CRCs one worker process would print for them in this order, with their identity'
            cand certs 'Read captures and list one row per distinct client certificate seen (requests, first and last seen, pids, URIs, outcomes)'
            cand live 'Capture live on Windows (ETW real-time session and/or OutputDebugString) and report requests as they happen; Ctrl-C stops the capture, drains it and prints the summary'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'certtrace;help;read'= {
        }
        &'certtrace;help;tail'= {
        }
        &'certtrace;help;demo'= {
        }
        &'certtrace;help;etl'= {
        }
        &'certtrace;help;crc'= {
        }
        &'certtrace;help;certs'= {
        }
        &'certtrace;help;live'= {
        }
        &'certtrace;help;completions'= {
        }
        &'certtrace;help;help'= {
        }
    ]
    $completions[$command]
}
