
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
            cand -o 'Output format [default: table on a terminal, ndjson otherwise]'
            cand --format 'Output format [default: table on a terminal, ndjson otherwise]'
            cand --outcome 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete'
            cand --uri 'Only report requests whose URI matches this regular expression'
            cand --color 'When to colour table output'
            cand --show-unknown 'Also list lines that are not module messages (other software, unknown module messages)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'certtrace;demo'= {
            cand --write 'Save the capture (DebugView log, certtrace JSON events with thread ids, the truth) to this directory instead of reporting on it'
            cand --requests 'Requests to simulate'
            cand --seed 'Seed of the simulation (same seed, same capture)'
            cand -o 'Output format [default: table on a terminal, ndjson otherwise]'
            cand --format 'Output format [default: table on a terminal, ndjson otherwise]'
            cand --outcome 'Only report requests with this outcome (repeatable): plain_http, cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed, incomplete'
            cand --uri 'Only report requests whose URI matches this regular expression'
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
            cand demo 'Run the pipeline on a built-in realistic capture (several worker processes, a recycle, concurrency, lost lines, every outcome)'
            cand etl 'Inspect any `.etl` file: logfile header, record kinds, providers, lost events, first events'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'certtrace;help;read'= {
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
