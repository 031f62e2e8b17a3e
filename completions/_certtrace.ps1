
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'certtrace' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'certtrace'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'certtrace' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour table output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('read', 'read', [CompletionResultType]::ParameterValue, 'Read captures (DebugView and DebugView++ logs, raw lines, JSON, `.etl` files; `-` is stdin) and report every request')
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Follow captures as they grow, like `tail -F` (same as `read -f`): a live dashboard on a terminal, NDJSON for scripts')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the pipeline on a built-in realistic capture (several worker processes, a recycle, concurrency, lost lines, every outcome)')
            [CompletionResult]::new('etl', 'etl', [CompletionResultType]::ParameterValue, 'Inspect any `.etl` file: logfile header, record kinds, providers, lost events, first events')
            [CompletionResult]::new('crc', 'crc', [CompletionResultType]::ParameterValue, 'Print what the module would log for certificates: DER size, plain CRC-32, and the chained CRCs one worker process would print for them in this order, with their identity')
            [CompletionResult]::new('certs', 'certs', [CompletionResultType]::ParameterValue, 'Read captures and list one row per distinct client certificate seen (requests, first and last seen, pids, URIs, outcomes)')
            [CompletionResult]::new('live', 'live', [CompletionResultType]::ParameterValue, 'Capture live on Windows (ETW real-time session and/or OutputDebugString) and report requests as they happen; Ctrl-C stops the capture, drains it and prints the summary')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'certtrace;read' {
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Input format (auto-detected per file from its first 64 lines; each line is then read by its own shape)')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Code page of captures that are not UTF-8 or UTF-16, as a WHATWG label: windows-1252, gbk, shift_jis, windows-1251, ... [default: UTF-8, lines that are not valid UTF-8 as windows-1252]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The host (computer) of inputs that do not name one (a saved DebugView log''s `[\\NAME]` header does)')
            [CompletionResult]::new('--pid', '--pid', [CompletionResultType]::ParameterName, 'The worker process pid for input without pids (raw lines, DebugView without "show process id"); input with pids is limited to this pid')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'JSON collectors and TraceLogging events: the payload field holding the message [default: msg/message, else the first string field]')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, '`.etl` files: only events of this ETW provider (GUID, or a TraceLogging provider name, hashed to its GUID as Windows does)')
            [CompletionResult]::new('--etl-backend', '--etl-backend', [CompletionResultType]::ParameterName, '`.etl` files: which reader turns them into events')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]')
            [CompletionResult]::new('--outcome', '--outcome', [CompletionResultType]::ParameterName, 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Only report requests whose URI matches this regular expression')
            [CompletionResult]::new('--certs', '--certs', [CompletionResultType]::ParameterName, 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)')
            [CompletionResult]::new('--crc-mode', '--crc-mode', [CompletionResultType]::ParameterName, 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time')
            [CompletionResult]::new('--until-time', '--until-time', [CompletionResultType]::ParameterName, 'Only report what happened at or before this capture time (same forms as --since)')
            [CompletionResult]::new('--paging', '--paging', [CompletionResultType]::ParameterName, 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to')
            [CompletionResult]::new('--rotate-size', '--rotate-size', [CompletionResultType]::ParameterName, 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect')
            [CompletionResult]::new('--rotate-keep', '--rotate-keep', [CompletionResultType]::ParameterName, 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit with code 3 as soon as one of these is reported (after flushing it): an outcome, `failure` (any failed request), `gap`, `recycle`, `module_error`. Comma-separated or repeated')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Stop (exit 0) after reporting this many requests')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop (exit 0) after this many seconds')
            [CompletionResult]::new('--summary-every', '--summary-every', [CompletionResultType]::ParameterName, 'Emit a `summary` record of the totals so far (`"snapshot": true`) every SECS seconds')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour table output')
            [CompletionResult]::new('--requests', '--requests', [CompletionResultType]::ParameterName, 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40; following, they print as they come)')
            [CompletionResult]::new('--show-unknown', '--show-unknown', [CompletionResultType]::ParameterName, 'Also list lines that are not module messages (other software, unknown module messages)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it')
            [CompletionResult]::new('--from-start', '--from-start', [CompletionResultType]::ParameterName, 'Following: read what the files hold already first (default: start at their end)')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'Following: check the files every 50 ms instead of waiting for OS file notifications (network shares, unusual file systems)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'certtrace;tail' {
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Input format (auto-detected per file from its first 64 lines; each line is then read by its own shape)')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Code page of captures that are not UTF-8 or UTF-16, as a WHATWG label: windows-1252, gbk, shift_jis, windows-1251, ... [default: UTF-8, lines that are not valid UTF-8 as windows-1252]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The host (computer) of inputs that do not name one (a saved DebugView log''s `[\\NAME]` header does)')
            [CompletionResult]::new('--pid', '--pid', [CompletionResultType]::ParameterName, 'The worker process pid for input without pids (raw lines, DebugView without "show process id"); input with pids is limited to this pid')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'JSON collectors and TraceLogging events: the payload field holding the message [default: msg/message, else the first string field]')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, '`.etl` files: only events of this ETW provider (GUID, or a TraceLogging provider name, hashed to its GUID as Windows does)')
            [CompletionResult]::new('--etl-backend', '--etl-backend', [CompletionResultType]::ParameterName, '`.etl` files: which reader turns them into events')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]')
            [CompletionResult]::new('--outcome', '--outcome', [CompletionResultType]::ParameterName, 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Only report requests whose URI matches this regular expression')
            [CompletionResult]::new('--certs', '--certs', [CompletionResultType]::ParameterName, 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)')
            [CompletionResult]::new('--crc-mode', '--crc-mode', [CompletionResultType]::ParameterName, 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time')
            [CompletionResult]::new('--until-time', '--until-time', [CompletionResultType]::ParameterName, 'Only report what happened at or before this capture time (same forms as --since)')
            [CompletionResult]::new('--paging', '--paging', [CompletionResultType]::ParameterName, 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to')
            [CompletionResult]::new('--rotate-size', '--rotate-size', [CompletionResultType]::ParameterName, 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect')
            [CompletionResult]::new('--rotate-keep', '--rotate-keep', [CompletionResultType]::ParameterName, 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit with code 3 as soon as one of these is reported (after flushing it): an outcome, `failure` (any failed request), `gap`, `recycle`, `module_error`. Comma-separated or repeated')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Stop (exit 0) after reporting this many requests')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop (exit 0) after this many seconds')
            [CompletionResult]::new('--summary-every', '--summary-every', [CompletionResultType]::ParameterName, 'Emit a `summary` record of the totals so far (`"snapshot": true`) every SECS seconds')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour table output')
            [CompletionResult]::new('--requests', '--requests', [CompletionResultType]::ParameterName, 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40; following, they print as they come)')
            [CompletionResult]::new('--show-unknown', '--show-unknown', [CompletionResultType]::ParameterName, 'Also list lines that are not module messages (other software, unknown module messages)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it')
            [CompletionResult]::new('--from-start', '--from-start', [CompletionResultType]::ParameterName, 'Following: read what the files hold already first (default: start at their end)')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'Following: check the files every 50 ms instead of waiting for OS file notifications (network shares, unusual file systems)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'certtrace;demo' {
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Save the capture (DebugView log, certtrace JSON events with thread ids, the truth) to this directory instead of reporting on it')
            [CompletionResult]::new('--requests', '--requests', [CompletionResultType]::ParameterName, 'Requests to simulate')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed of the simulation (same seed, same capture)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]')
            [CompletionResult]::new('--outcome', '--outcome', [CompletionResultType]::ParameterName, 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Only report requests whose URI matches this regular expression')
            [CompletionResult]::new('--certs', '--certs', [CompletionResultType]::ParameterName, 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)')
            [CompletionResult]::new('--crc-mode', '--crc-mode', [CompletionResultType]::ParameterName, 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time')
            [CompletionResult]::new('--until-time', '--until-time', [CompletionResultType]::ParameterName, 'Only report what happened at or before this capture time (same forms as --since)')
            [CompletionResult]::new('--paging', '--paging', [CompletionResultType]::ParameterName, 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to')
            [CompletionResult]::new('--rotate-size', '--rotate-size', [CompletionResultType]::ParameterName, 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect')
            [CompletionResult]::new('--rotate-keep', '--rotate-keep', [CompletionResultType]::ParameterName, 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour table output')
            [CompletionResult]::new('--list-requests', '--list-requests', [CompletionResultType]::ParameterName, 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40)')
            [CompletionResult]::new('--show-unknown', '--show-unknown', [CompletionResultType]::ParameterName, 'Also list lines that are not module messages (other software, unknown module messages)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'certtrace;etl' {
            [CompletionResult]::new('--first', '--first', [CompletionResultType]::ParameterName, 'How many of the first events to list')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour table output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'certtrace;crc' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour table output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'certtrace;certs' {
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Input format (auto-detected per file from its first 64 lines; each line is then read by its own shape)')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Code page of captures that are not UTF-8 or UTF-16, as a WHATWG label: windows-1252, gbk, shift_jis, windows-1251, ... [default: UTF-8, lines that are not valid UTF-8 as windows-1252]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The host (computer) of inputs that do not name one (a saved DebugView log''s `[\\NAME]` header does)')
            [CompletionResult]::new('--pid', '--pid', [CompletionResultType]::ParameterName, 'The worker process pid for input without pids (raw lines, DebugView without "show process id"); input with pids is limited to this pid')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'JSON collectors and TraceLogging events: the payload field holding the message [default: msg/message, else the first string field]')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, '`.etl` files: only events of this ETW provider (GUID, or a TraceLogging provider name, hashed to its GUID as Windows does)')
            [CompletionResult]::new('--etl-backend', '--etl-backend', [CompletionResultType]::ParameterName, '`.etl` files: which reader turns them into events')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]')
            [CompletionResult]::new('--outcome', '--outcome', [CompletionResultType]::ParameterName, 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Only report requests whose URI matches this regular expression')
            [CompletionResult]::new('--certs', '--certs', [CompletionResultType]::ParameterName, 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)')
            [CompletionResult]::new('--crc-mode', '--crc-mode', [CompletionResultType]::ParameterName, 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time')
            [CompletionResult]::new('--until-time', '--until-time', [CompletionResultType]::ParameterName, 'Only report what happened at or before this capture time (same forms as --since)')
            [CompletionResult]::new('--paging', '--paging', [CompletionResultType]::ParameterName, 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to')
            [CompletionResult]::new('--rotate-size', '--rotate-size', [CompletionResultType]::ParameterName, 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect')
            [CompletionResult]::new('--rotate-keep', '--rotate-keep', [CompletionResultType]::ParameterName, 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit with code 3 as soon as one of these is reported (after flushing it): an outcome, `failure` (any failed request), `gap`, `recycle`, `module_error`. Comma-separated or repeated')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Stop (exit 0) after reporting this many requests')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop (exit 0) after this many seconds')
            [CompletionResult]::new('--summary-every', '--summary-every', [CompletionResultType]::ParameterName, 'Emit a `summary` record of the totals so far (`"snapshot": true`) every SECS seconds')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour table output')
            [CompletionResult]::new('--requests', '--requests', [CompletionResultType]::ParameterName, 'Table: list every request, in start-time order, after the report (without it, requests are listed when there are at most 40; following, they print as they come)')
            [CompletionResult]::new('--show-unknown', '--show-unknown', [CompletionResultType]::ParameterName, 'Also list lines that are not module messages (other software, unknown module messages)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it')
            [CompletionResult]::new('--from-start', '--from-start', [CompletionResultType]::ParameterName, 'Following: read what the files hold already first (default: start at their end)')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'Following: check the files every 50 ms instead of waiting for OS file notifications (network shares, unusual file systems)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'certtrace;live' {
            [CompletionResult]::new('--etw', '--etw', [CompletionResultType]::ParameterName, 'Capture this ETW provider: a GUID, or a TraceLogging provider name (hashed to its GUID as Windows does). Needs administrator rights or the "Performance Log Users" group')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'ETW session name; an existing session of this name left over from a run that did not stop is stopped and replaced (never one another running certtrace owns)')
            [CompletionResult]::new('--buffer-kb', '--buffer-kb', [CompletionResultType]::ParameterName, 'Size of each ETW session buffer in KB (logman -bs; 4 to 16384)')
            [CompletionResult]::new('--min-buffers', '--min-buffers', [CompletionResultType]::ParameterName, 'ETW session buffers allocated at start (logman -nb MIN)')
            [CompletionResult]::new('--max-buffers', '--max-buffers', [CompletionResultType]::ParameterName, 'Most ETW session buffers while certtrace is behind (logman -nb .. MAX); events beyond them are lost and reported')
            [CompletionResult]::new('--flush-ms', '--flush-ms', [CompletionResultType]::ParameterName, 'Deliver ETW buffers that are not full after this many milliseconds (logman -ft)')
            [CompletionResult]::new('--save-max-mb', '--save-max-mb', [CompletionResultType]::ParameterName, 'Largest --save FILE.etl in MB: the file is circular, the newest events are kept')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'TraceLogging field holding the message (default: the event''s first string field)')
            [CompletionResult]::new('--keywords', '--keywords', [CompletionResultType]::ParameterName, 'Match-any keyword mask for the provider (hex with 0x, or decimal)')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Highest event level enabled (1 critical .. 5 verbose)')
            [CompletionResult]::new('--process', '--process', [CompletionResultType]::ParameterName, 'Keep only messages of processes with this executable name (case-insensitive; `w3wp` or `w3wp.exe`)')
            [CompletionResult]::new('--save', '--save', [CompletionResultType]::ParameterName, 'Also save the capture: FILE.etl records the ETW session itself (with --etw), any other name writes a DebugView-format log. May be given twice (one .etl, one log)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]')
            [CompletionResult]::new('--outcome', '--outcome', [CompletionResultType]::ParameterName, 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete')
            [CompletionResult]::new('--uri', '--uri', [CompletionResultType]::ParameterName, 'Only report requests whose URI matches this regular expression')
            [CompletionResult]::new('--certs', '--certs', [CompletionResultType]::ParameterName, 'Certificates to name the client certificates by: DER (.cer, .der, .crt) or PEM files, or directories searched recursively (repeatable)')
            [CompletionResult]::new('--crc-mode', '--crc-mode', [CompletionResultType]::ParameterName, 'How the module build logs certificate CRCs: auto (detect per worker process), chained (the shipped module: one CRC register per process, never reset), plain (a corrected build)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time')
            [CompletionResult]::new('--until-time', '--until-time', [CompletionResultType]::ParameterName, 'Only report what happened at or before this capture time (same forms as --since)')
            [CompletionResult]::new('--paging', '--paging', [CompletionResultType]::ParameterName, 'Table on a terminal: show a long report through a pager ($PAGER, else `less -FRX`); never when output is piped')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the records to this file instead of standard output (NDJSON unless --format says otherwise); an existing file is appended to')
            [CompletionResult]::new('--rotate-size', '--rotate-size', [CompletionResultType]::ParameterName, 'With --output: rotate the file at the first line end at this size (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., as log shippers expect')
            [CompletionResult]::new('--rotate-keep', '--rotate-keep', [CompletionResultType]::ParameterName, 'With --rotate-size: how many rotated files to keep (FILE.1 ... FILE.N); older ones are deleted')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Replace URI query strings (`query`) and certificate subjects (`subject`) in the records by stable hashes (`redacted:<hex>`): the same value hashes the same on every host. Comma-separated')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'Secret mixed into the --redact hashes, the same on every host (so a guessed value cannot be confirmed by hashing it)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour table output')
            [CompletionResult]::new('--debug-output', '--debug-output', [CompletionResultType]::ParameterName, 'Capture OutputDebugString output (the DBWIN protocol, as DebugView)')
            [CompletionResult]::new('--global', '--global', [CompletionResultType]::ParameterName, 'With --debug-output: listen on the Global\ objects, where services such as IIS worker processes (session 0) write. Needs administrator rights')
            [CompletionResult]::new('--show-unknown', '--show-unknown', [CompletionResultType]::ParameterName, 'Also list lines that are not module messages (other software, unknown module messages)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'certtrace;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour table output')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'certtrace;help' {
            [CompletionResult]::new('read', 'read', [CompletionResultType]::ParameterValue, 'Read captures (DebugView and DebugView++ logs, raw lines, JSON, `.etl` files; `-` is stdin) and report every request')
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Follow captures as they grow, like `tail -F` (same as `read -f`): a live dashboard on a terminal, NDJSON for scripts')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Run the pipeline on a built-in realistic capture (several worker processes, a recycle, concurrency, lost lines, every outcome)')
            [CompletionResult]::new('etl', 'etl', [CompletionResultType]::ParameterValue, 'Inspect any `.etl` file: logfile header, record kinds, providers, lost events, first events')
            [CompletionResult]::new('crc', 'crc', [CompletionResultType]::ParameterValue, 'Print what the module would log for certificates: DER size, plain CRC-32, and the chained CRCs one worker process would print for them in this order, with their identity')
            [CompletionResult]::new('certs', 'certs', [CompletionResultType]::ParameterValue, 'Read captures and list one row per distinct client certificate seen (requests, first and last seen, pids, URIs, outcomes)')
            [CompletionResult]::new('live', 'live', [CompletionResultType]::ParameterValue, 'Capture live on Windows (ETW real-time session and/or OutputDebugString) and report requests as they happen; Ctrl-C stops the capture, drains it and prints the summary')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'certtrace;help;read' {
            break
        }
        'certtrace;help;tail' {
            break
        }
        'certtrace;help;demo' {
            break
        }
        'certtrace;help;etl' {
            break
        }
        'certtrace;help;crc' {
            break
        }
        'certtrace;help;certs' {
            break
        }
        'certtrace;help;live' {
            break
        }
        'certtrace;help;completions' {
            break
        }
        'certtrace;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
