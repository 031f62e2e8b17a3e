//! One function per subcommand: turns parsed arguments into library calls.

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::CommandFactory;

use crate::app::{self, Input, PipelineOptions, RequestFilter, Status};
use crate::cli::{
    Cli, Command, DemoArgs, EtlArgs, LiveCommandArgs, OutputArgs, ReadArgs, ReportFormat,
};
use crate::correlate::CorrelateOptions;
use crate::exit::{self, Error, Exit};
use crate::input::{self, ItemStream, ReadOptions, TextSource};
use crate::output::{self, ColorChoice, Format, table::TableOptions};

/// Runs a parsed command line; returns how to exit.
pub fn run(cli: Cli) -> Exit {
    let result = match cli.command {
        Command::Read(args) => read(&args, cli.color, args.follow.follow, false, "read"),
        Command::Tail(args) => read(&args, cli.color, true, false, "tail"),
        Command::Certs(args) => read(&args, cli.color, args.follow.follow, true, "certs"),
        Command::Crc(args) => crc(&args),
        Command::Demo(args) => demo(&args, cli.color),
        Command::Etl(args) => etl(&args),
        Command::Live(args) => live(&args, cli.color),
        Command::Completions { shell } => completions(shell),
    };
    result.unwrap_or_else(|e| e.report())
}

/// `certtrace completions SHELL`: the script on stdout.
fn completions(shell: clap_complete::Shell) -> exit::Result {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "certtrace", &mut out);
    io::stdout().lock().write_all(&out)?;
    Ok(Exit::Done)
}

/// Ctrl-C sets the returned flag; the pipeline then finishes what it has.
fn stop_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    // A second Ctrl-C while finishing exits at once.
    let _ = ctrlc::set_handler(move || {
        // The report is whole once a pager shows it: Ctrl-C is the pager's.
        if crate::output::pager::pager_running() {
            return;
        }
        if s.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    stop
}

/// A loaded `--certs` catalog and whether some file of it could not be read.
struct LoadedCatalog {
    catalog: Option<Arc<crate::certs::Catalog>>,
    unreadable: bool,
}

/// Loads `--certs`; problems with single files are warnings (on stderr),
/// the rest loads.
fn load_catalog(paths: &[std::path::PathBuf]) -> LoadedCatalog {
    if paths.is_empty() {
        return LoadedCatalog {
            catalog: None,
            unreadable: false,
        };
    }
    let (catalog, warnings) = crate::certs::Catalog::load(paths);
    for w in &warnings {
        eprintln!("certtrace: warning: --certs: {w}");
    }
    if catalog.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "certtrace: warning: --certs {}: no certificate could be loaded (certificates are \
             DER .cer/.der/.crt or PEM files)",
            names.join(" ")
        );
    }
    LoadedCatalog {
        catalog: Some(Arc::new(catalog)),
        unreadable: warnings.iter().any(|w| w.unreadable),
    }
}

fn filter(out: &OutputArgs) -> RequestFilter {
    RequestFilter {
        outcomes: out.outcome.clone(),
        uri: out.uri.clone(),
        certificates_only: false,
        time: crate::watch::TimeWindow {
            since: out.since,
            until: out.until_time,
        },
    }
}

/// Runs the pipeline over opened inputs to stdout in the chosen format.
/// `follow`: the input keeps growing (the dashboard is the default on a
/// terminal).
fn report(
    names: Vec<String>,
    inputs: Vec<Input>,
    out: &OutputArgs,
    color: ColorChoice,
    popts: PipelineOptions,
    follow: bool,
    command: &str,
) -> exit::Result {
    report_until(
        names,
        inputs,
        out,
        color,
        popts,
        follow,
        stop_flag(),
        command,
    )
}

/// [`report`] with the flag that interrupts the pipeline.
#[allow(clippy::too_many_arguments)]
fn report_until(
    names: Vec<String>,
    inputs: Vec<Input>,
    out: &OutputArgs,
    color: ColorChoice,
    mut popts: PipelineOptions,
    follow: bool,
    stop: Arc<AtomicBool>,
    command: &str,
) -> exit::Result {
    let stdout = io::stdout();
    let is_tty = out.output.is_none() && stdout.is_terminal();
    let format = out.format.unwrap_or(if is_tty && follow {
        Format::Dashboard
    } else if is_tty {
        Format::Table
    } else {
        Format::Ndjson
    });
    if format == Format::Dashboard && !is_tty {
        return Err(Error::usage(
            command,
            "--format dashboard needs a terminal on stdout (use --format ndjson for scripts)",
        ));
    }
    let topts = TableOptions {
        width: if is_tty {
            TableOptions::terminal_width()
        } else {
            TableOptions::columns_width()
        },
        color: color.enabled(is_tty),
        list_requests: out.list_requests,
        stream: follow,
        ..TableOptions::default()
    };
    let certs_only = popts.filter.certificates_only;
    popts.correlate = CorrelateOptions {
        show_unknown: out.show_unknown,
        certs: popts.correlate.certs.take(),
        crc_mode: out.crc_mode.parse().unwrap_or_default(),
    };
    let mut certs_unreadable = false;
    if popts.correlate.certs.is_none() {
        let loaded = load_catalog(&out.certs);
        popts.correlate.certs = loaded.catalog;
        certs_unreadable = loaded.unreadable;
    }
    popts.filter = filter(out);
    popts.filter.certificates_only = certs_only;
    let writer: Box<dyn Write + Send> = if let Some(path) = &out.output {
        output_file(path, out, format, command)?
    } else {
        match paging(format, out.paging, is_tty, follow) {
            Some(always) => Box::new(io::BufWriter::with_capacity(
                output::output_buffer(format),
                crate::output::pager::PagedStdout::new(
                    crate::output::pager::PagedStdout::terminal_rows(),
                    always,
                ),
            )),
            None => Box::new(io::BufWriter::with_capacity(
                output::output_buffer(format),
                stdout,
            )),
        }
    };
    let quit = Arc::new(AtomicBool::new(false));
    let mut renderer: Box<dyn output::Renderer + Send> = if format == Format::Dashboard {
        Box::new(output::dashboard::DashboardRenderer::new(
            writer,
            output::dashboard::DashOptions {
                inputs: names.clone(),
                color: topts.color,
                terminal: true,
                stop: Some(stop.clone()),
                quit: Some(quit.clone()),
                ..Default::default()
            },
        ))
    } else {
        output::renderer(format, writer, topts)
    };
    if !out.redact.is_empty() {
        renderer = redacting(renderer, out);
    }
    // Not locked for the whole run: `live` capture prints its notices on
    // stderr from another thread meanwhile.
    let mut stderr = io::stderr();
    // The dashboard shows input problems itself: stderr would garble it.
    let mut sink = io::sink();
    let diag: &mut dyn Write = if format == Format::Dashboard {
        &mut sink
    } else {
        &mut stderr
    };
    let status = app::run(names, inputs, &popts, renderer.as_mut(), diag, &stop)?;
    drop(renderer);
    if status == Status::Interrupted && quit.load(Ordering::SeqCst) {
        return Ok(Exit::Done);
    }
    if status == Status::Alert {
        let _ = writeln!(
            stderr,
            "certtrace: --fail-on: alert raised; stopping (exit 3)"
        );
    }
    if status == Status::Interrupted {
        let _ = writeln!(
            stderr,
            "certtrace: interrupted; the summary covers what was read"
        );
    }
    let unreadable = if certs_unreadable {
        Exit::Unreadable
    } else {
        Exit::Done
    };
    Ok(status.exit().max(unreadable))
}

/// `--output FILE` (rotated with `--rotate-size`): an unwritable path is
/// an output error (exit 1) before anything is read.
fn output_file(
    path: &std::path::Path,
    out: &OutputArgs,
    format: Format,
    command: &str,
) -> exit::Result<Box<dyn Write + Send>> {
    if out.rotate_size.is_some() && format != Format::Ndjson {
        return Err(Error::usage(
            command,
            "--rotate-size rotates NDJSON output (one record a line): use --format ndjson",
        ));
    }
    let rotation = out.rotate_size.map(|size| output::rotate::Rotation {
        size,
        keep: out.rotate_keep,
    });
    let file = output::rotate::OutputFile::open(path, rotation)?;
    if rotation.is_some() && !file.rotates() {
        eprintln!(
            "certtrace: warning: --output {}: not a regular file, so not rotated",
            path.display()
        );
    }
    Ok(Box::new(io::BufWriter::with_capacity(
        output::output_buffer(format),
        file,
    )))
}

/// `--redact`: records go one by one through the redaction (only then:
/// the plain path keeps its batch formatting).
fn redacting<'a>(
    renderer: Box<dyn output::Renderer + Send + 'a>,
    out: &OutputArgs,
) -> Box<dyn output::Renderer + Send + 'a> {
    let hasher = output::redact::Hasher::new(out.redact_key.as_deref());
    Box::new(output::redact::RedactingRenderer::new(
        renderer,
        &out.redact,
        hasher,
    ))
}

/// Whether the report goes through a pager (`Some(always)`): the table
/// of a finished read on a terminal, unless `--paging never`.
fn paging(
    format: Format,
    paging: crate::output::pager::Paging,
    is_tty: bool,
    follow: bool,
) -> Option<bool> {
    use crate::output::pager::Paging;
    match paging {
        _ if format != Format::Table || !is_tty || follow => None,
        Paging::Never => None,
        Paging::Auto => Some(false),
        Paging::Always => Some(true),
    }
}

fn read(
    args: &ReadArgs,
    color: ColorChoice,
    follow: bool,
    certificates_only: bool,
    command: &str,
) -> exit::Result {
    args.etl_backend
        .check()
        .map_err(|e| Error::usage(command, e))?;
    let ropts = ReadOptions {
        pid: args.pid,
        field: args.field.clone(),
        format: Some(args.input_format),
        provider: args.provider.clone(),
        etl_backend: args.etl_backend,
        host: args.host.clone(),
        encoding: args.encoding,
    };
    if args.inputs.iter().filter(|n| *n == "-").count() > 1 {
        return Err(Error::usage(command, "stdin (-) can be read only once"));
    }
    let output = OutputArgs {
        list_requests: args.requests,
        ..args.output.clone()
    };
    let live_args = &args.follow;
    let stop_rules = crate::watch::StopRules {
        fail_on: live_args.fail_on.clone(),
        until_requests: live_args.until,
        duration: live_args.duration,
        summary_every: live_args.summary_every,
    };
    if follow {
        if args.inputs == ["-"] && io::stdin().is_terminal() {
            return Err(Error::usage(
                command,
                "no input: name the capture files to follow (`certtrace tail FILE...`), \
                 or pipe a capture into `certtrace tail -`",
            ));
        }
        let fopts = input::follow::FollowOptions {
            from_start: live_args.from_start,
            poll: live_args.poll,
            read: ropts,
            ..Default::default()
        };
        let stream: ItemStream = Box::new(input::follow::follow(&args.inputs, fopts));
        let mut popts = PipelineOptions::new(CorrelateOptions::default(), RequestFilter::default());
        popts.only_pid = args.pid;
        popts.batch = 1;
        popts.live = true;
        popts.stop = stop_rules;
        popts.filter.certificates_only = certificates_only;
        return report(
            args.inputs.clone(),
            vec![Input::Stream(stream)],
            &output,
            color,
            popts,
            true,
            command,
        );
    }
    if args.inputs == ["-"] && io::stdin().is_terminal() {
        return Err(Error::usage(
            command,
            format!(
                "no input: name capture files, or pipe a capture into `certtrace {command} -` \
                 (try `certtrace demo --write DIR` for sample files)"
            ),
        ));
    }
    let mut inputs = Vec::new();
    let mut live = false;
    for name in &args.inputs {
        if name == "-" && !input::stdin_is_regular_file() {
            live = true;
        }
        match input::open(name, &ropts) {
            Ok(s) => inputs.push(Input::Stream(s)),
            Err(e) => inputs.push(Input::Unreadable {
                name: name.clone(),
                error: describe_open_error(&e),
            }),
        }
    }
    let mut popts = PipelineOptions::new(CorrelateOptions::default(), RequestFilter::default());
    popts.only_pid = args.pid;
    popts.filter.certificates_only = certificates_only;
    popts.stop = stop_rules;
    if live {
        // Text sources hand on their partial batch before each read that
        // may block, so big batches keep a fast pipe fast and a slow one
        // prompt.
        popts.live = true;
    }
    report(
        args.inputs.clone(),
        inputs,
        &output,
        color,
        popts,
        false,
        command,
    )
}

fn etl(args: &EtlArgs) -> exit::Result {
    let name = args.file.display().to_string();
    let file = std::fs::File::open(&args.file)
        .map_err(|e| Error::Unreadable(format!("{name}: {}", describe_open_error(&e))))?;
    let report = crate::input::etl::inspect(io::BufReader::new(file), &name, args.first)
        .map_err(|e| Error::Unreadable(format!("{name}: {e}")))?;
    let mut out = io::stdout().lock();
    match args.format {
        ReportFormat::Text => write!(out, "{}", report.render_text())?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report).map_err(io::Error::other)?;
            writeln!(out)?;
        }
    }
    Ok(Exit::Done)
}

/// `certtrace live`: the capture runs on its own thread and feeds the
/// pipeline through a channel; Ctrl-C stops the capture (not the pipeline),
/// so what was captured is drained and correlated before the summary.
fn live(args: &LiveCommandArgs, color: ColorChoice) -> exit::Result {
    use std::sync::mpsc;

    use crate::input::live::{LiveError, LiveSummary};

    let opts = args
        .capture
        .to_options()
        .map_err(|e| Error::usage("live", e))?;
    // Options, sources and the platform are usage errors.
    crate::input::live::check_options(&opts).map_err(|e| Error::usage("live", e))?;
    let capture_stop = stop_flag();
    let (tx, rx) = mpsc::sync_channel::<input::SourceItem>(4096);
    let name = match (&args.capture.etw, args.capture.debug_output) {
        (Some(p), true) => format!("etw:{},dbwin", p.guid),
        (Some(p), false) => format!("etw:{}", p.guid),
        (None, _) => "dbwin".to_string(),
    };
    let output = args.output.clone();
    let pipeline_stop = capture_stop.clone();
    // The pipeline runs beside the capture, which keeps the main thread (as
    // ETW consumers usually do). It is never interrupted itself: it ends
    // when the capture has stopped and drained.
    let pipeline = std::thread::Builder::new()
        .name("certtrace-pipeline".into())
        .spawn(move || {
            let stream: ItemStream = Box::new(rx.into_iter());
            let mut popts =
                PipelineOptions::new(CorrelateOptions::default(), RequestFilter::default());
            popts.batch = 1;
            popts.live = true;
            let r = report_until(
                vec![name],
                vec![Input::Stream(stream)],
                &output,
                color,
                popts,
                true,
                Arc::new(AtomicBool::new(false)),
                "live",
            );
            // Output gone (closed pipe): stop capturing too.
            pipeline_stop.store(true, Ordering::SeqCst);
            r
        })?;
    let sink_stop = capture_stop.clone();
    let mut sink = |item: input::SourceItem| {
        if tx.send(item).is_err() {
            sink_stop.store(true, Ordering::SeqCst);
        }
    };
    let outcome: Result<LiveSummary, LiveError> =
        crate::input::live::capture(&opts, capture_stop.clone(), &mut sink);
    drop(tx);
    let code = pipeline
        .join()
        .unwrap_or_else(|_| Err(Error::Output(io::Error::other("pipeline thread failed"))))?;
    match outcome {
        Ok(summary) => {
            eprintln!("{summary}");
            Ok(code)
        }
        // The capture could not start or broke off: its input is unreadable.
        Err(e) => Err(Error::Unreadable(format!("live capture: {e}"))),
    }
}

/// `certtrace crc`: warnings on stderr; exit 1 when a file could not be
/// read or no certificate was found.
fn crc(args: &crate::cli::CrcArgs) -> exit::Result {
    let report = crate::output::certs_report::crc_report(&args.files);
    for w in &report.warnings {
        eprintln!("certtrace: warning: {w}");
    }
    let mut out = io::stdout().lock();
    match args.format {
        ReportFormat::Text => write!(
            out,
            "{}",
            crate::output::certs_report::render_table(&report)
        )?,
        ReportFormat::Json => {
            writeln!(out, "{}", crate::output::certs_report::render_json(&report))?
        }
    }
    out.flush()?;
    if report.rows.is_empty() {
        eprintln!("certtrace: crc: no certificate could be loaded");
        return Ok(Exit::Unreadable);
    }
    Ok(if report.warnings.iter().any(|w| w.unreadable) {
        Exit::Unreadable
    } else {
        Exit::Done
    })
}

fn describe_open_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn demo(args: &DemoArgs, color: ColorChoice) -> exit::Result {
    let (_, sim) = crate::demo::simulation(args.seed, args.requests.max(1));
    if let Some(dir) = &args.write {
        let written = crate::demo::write(dir, &sim)
            .map_err(|e| io::Error::new(e.kind(), format!("--write {}: {e}", dir.display())))?;
        let mut out = io::stdout().lock();
        for w in &written {
            writeln!(out, "wrote {w}")?;
        }
        writeln!(
            out,
            "\ntry:\n  certtrace read {} --certs {}\n  certtrace read {} --format ndjson | jq 'select(.type == \"request\" and .outcome != \"cert_ok\")'",
            dir.join("capture.log").display(),
            dir.join("certs").display(),
            dir.join("capture.ndjson").display()
        )?;
        return Ok(Exit::Done);
    }
    if args.output.format.is_none() && !io::stdout().is_terminal() {
        // `demo > file` or `| less`: say why these are not the tables.
        eprintln!(
            "certtrace: demo: stdout is not a terminal, so the output is NDJSON records \
             (--format table for the report, --format json for one document)"
        );
    }
    let log = sim.debugview_log();
    let stream: ItemStream = Box::new(TextSource::new(
        io::Cursor::new(log.into_bytes()),
        "demo.log".into(),
        ReadOptions::default(),
    ));
    let mut popts = PipelineOptions::new(CorrelateOptions::default(), RequestFilter::default());
    if args.output.certs.is_empty() {
        popts.correlate.certs = Some(Arc::new(crate::certs::demo_catalog()));
    }
    let output = OutputArgs {
        list_requests: args.list_requests,
        ..args.output.clone()
    };
    report(
        vec!["demo.log".into()],
        vec![Input::Stream(stream)],
        &output,
        color,
        popts,
        false,
        "demo",
    )
}
