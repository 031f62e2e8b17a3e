
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
            cand read 'Read captures (DebugView logs, raw lines, JSON lines; `-` is stdin) and report every request'
            cand tail 'Follow captures as they grow, like `tail -F` (same as `read -f`): a live dashboard on a terminal, NDJSON for scripts'
            cand demo 'Run the pipeline on a built-in realistic capture (several worker processes, a recycle, concurrency, lost lines, every outcome)'
            cand etl 'Inspect any `.etl` file: logfile header, record kinds, providers, lost events, first events'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'certtrace;read'= {
            cand --input-format 'Input format (auto-detected per file from its first line)'
            cand --pid 'The worker process pid for input without pids (raw lines, DebugView without "show process id"); input with pids is limited to this pid'
            cand --field 'JSON collectors and TraceLogging events: the payload field holding the message [default: msg/message, else the first string field]'
            cand --provider '`.etl` files: only events of this ETW provider (GUID, or a TraceLogging provider name, hashed to its GUID as Windows does)'
            cand -o 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --format 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --outcome 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete'
            cand --uri 'Only report requests whose URI matches this regular expression'
            cand --since 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time'
            cand --until-time 'Only report what happened at or before this capture time (same forms as --since)'
            cand --fail-on 'Exit with code 3 as soon as one of these is reported (after flushing it): an outcome, `failure` (any failed request), `gap`, `recycle`, `module_error`. Comma-separated or repeated'
            cand --until 'Stop (exit 0) after reporting this many requests'
            cand --duration 'Stop (exit 0) after this many seconds'
            cand --summary-every 'Emit a `summary` record of the totals so far (`"snapshot": true`) every SECS seconds'
            cand --color 'When to colour table output'
            cand --show-unknown 'Also list lines that are not module messages (other software, unknown module messages)'
            cand -f 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it'
            cand --follow 'Follow the files as they grow, like `tail -F` (survives rotation, truncation, files that appear later); `tail` implies it'
            cand --from-start 'Following: read what the files hold already first (default: start at their end)'
            cand --poll 'Following: check the files every 50 ms instead of waiting for OS file notifications (network shares, unusual file systems)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'certtrace;tail'= {
            cand --input-format 'Input format (auto-detected per file from its first line)'
            cand --pid 'The worker process pid for input without pids (raw lines, DebugView without "show process id"); input with pids is limited to this pid'
            cand --field 'JSON collectors and TraceLogging events: the payload field holding the message [default: msg/message, else the first string field]'
            cand --provider '`.etl` files: only events of this ETW provider (GUID, or a TraceLogging provider name, hashed to its GUID as Windows does)'
            cand -o 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --format 'Output format [default: table on a terminal (dashboard when following), ndjson otherwise]'
            cand --outcome 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete'
            cand --uri 'Only report requests whose URI matches this regular expression'
            cand --since 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time'
            cand --until-time 'Only report what happened at or before this capture time (same forms as --since)'
            cand --fail-on 'Exit with code 3 as soon as one of these is reported (after flushing it): an outcome, `failure` (any failed request), `gap`, `recycle`, `module_error`. Comma-separated or repeated'
            cand --until 'Stop (exit 0) after reporting this many requests'
            cand --duration 'Stop (exit 0) after this many seconds'
            cand --summary-every 'Emit a `summary` record of the totals so far (`"snapshot": true`) every SECS seconds'
            cand --color 'When to colour table output'
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
            cand --since 'Only report what happened at or after this capture time: RFC 3339 (2026-06-23T16:23:14Z), a local date and time, a time of day (16:23:14) or elapsed seconds (12.5), compared with the capture''s own kind of time'
            cand --until-time 'Only report what happened at or before this capture time (same forms as --since)'
            cand --color 'When to colour table output'
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
        &'certtrace;completions'= {
            cand --color 'When to colour table output'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'certtrace;help'= {
            cand read 'Read captures (DebugView logs, raw lines, JSON lines; `-` is stdin) and report every request'
            cand tail 'Follow captures as they grow, like `tail -F` (same as `read -f`): a live dashboard on a terminal, NDJSON for scripts'
            cand demo 'Run the pipeline on a built-in realistic capture (several worker processes, a recycle, concurrency, lost lines, every outcome)'
            cand etl 'Inspect any `.etl` file: logfile header, record kinds, providers, lost events, first events'
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
        &'certtrace;help;completions'= {
        }
        &'certtrace;help;help'= {
        }
    ]
    $completions[$command]
}
