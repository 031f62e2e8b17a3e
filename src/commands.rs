//! One function per subcommand: turns parsed arguments into library calls.

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::CommandFactory;
use regex::Regex;

use crate::app::{self, Input, PipelineOptions, RequestFilter, Status};
use crate::cli::{
    Cli, Command, DemoArgs, EtlArgs, LiveCommandArgs, OutputArgs, ReadArgs, ReportFormat,
};
use crate::correlate::CorrelateOptions;
use crate::render::{self, ColorChoice, Format, table::TableOptions};
use crate::sources::{self, ItemStream, ReadOptions, TextSource};

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Read(args) => read(&args, cli.color, args.follow.follow, false),
        Command::Tail(args) => read(&args, cli.color, true, false),
        Command::Certs(args) => read(&args, cli.color, args.follow.follow, true),
        Command::Crc(args) => crc(&args),
        Command::Demo(args) => demo(&args, cli.color),
        Command::Etl(args) => etl(&args),
        Command::Live(args) => live(&args, cli.color),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "certtrace", &mut io::stdout());
            Ok(0)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("certtrace: {e}");
            1
        }
    }
}

/// Ctrl-C sets the returned flag; the pipeline then finishes what it has.
fn stop_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    // A second Ctrl-C while finishing exits at once.
    let _ = ctrlc::set_handler(move || {
        if s.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    stop
}

/// Loads `--certs`; problems with single files are warnings, the rest loads.
fn load_catalog(paths: &[std::path::PathBuf]) -> Option<Arc<crate::certs::Catalog>> {
    if paths.is_empty() {
        return None;
    }
    let (catalog, warnings) = crate::certs::Catalog::load(paths);
    for w in &warnings {
        eprintln!("certtrace: warning: {w}");
    }
    if catalog.is_empty() {
        eprintln!("certtrace: warning: --certs: no certificate could be loaded");
    }
    Some(Arc::new(catalog))
}

fn filter(out: &OutputArgs) -> io::Result<RequestFilter> {
    let uri = match &out.uri {
        Some(re) => Some(
            Regex::new(re)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("--uri: {e}")))?,
        ),
        None => None,
    };
    Ok(RequestFilter {
        outcomes: out.outcome.clone(),
        uri,
        certificates_only: false,
        time: crate::watch::TimeWindow {
            since: out.since,
            until: out.until_time,
        },
    })
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
) -> io::Result<i32> {
    report_until(names, inputs, out, color, popts, follow, stop_flag())
}

/// [`report`] with the flag that interrupts the pipeline.
fn report_until(
    names: Vec<String>,
    inputs: Vec<Input>,
    out: &OutputArgs,
    color: ColorChoice,
    mut popts: PipelineOptions,
    follow: bool,
    stop: Arc<AtomicBool>,
) -> io::Result<i32> {
    let stdout = io::stdout();
    let is_tty = stdout.is_terminal();
    let format = out.format.unwrap_or(if is_tty && follow {
        Format::Dashboard
    } else if is_tty {
        Format::Table
    } else {
        Format::Ndjson
    });
    if format == Format::Dashboard && !is_tty {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--format dashboard needs a terminal on stdout (use --format ndjson for scripts)",
        ));
    }
    let topts = TableOptions {
        width: if is_tty {
            TableOptions::terminal_width()
        } else {
            160
        },
        color: color.enabled(is_tty),
        ..TableOptions::default()
    };
    let certs_only = popts.filter.certificates_only;
    popts.correlate = CorrelateOptions {
        show_unknown: out.show_unknown,
        certs: popts.correlate.certs.take(),
        crc_mode: out.crc_mode.parse().unwrap_or_default(),
    };
    if popts.correlate.certs.is_none() {
        popts.correlate.certs = load_catalog(&out.certs);
    }
    popts.filter = filter(out)?;
    popts.filter.certificates_only = certs_only;
    let writer: Box<dyn Write + Send> = Box::new(io::BufWriter::with_capacity(
        render::output_buffer(format),
        stdout,
    ));
    let quit = Arc::new(AtomicBool::new(false));
    let mut renderer: Box<dyn render::Renderer + Send> = if format == Format::Dashboard {
        Box::new(render::dashboard::DashboardRenderer::new(
            writer,
            render::dashboard::DashOptions {
                inputs: names.clone(),
                color: topts.color,
                terminal: true,
                stop: Some(stop.clone()),
                quit: Some(quit.clone()),
                ..Default::default()
            },
        ))
    } else {
        render::renderer(format, writer, topts)
    };
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
        return Ok(0);
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
    Ok(status.exit_code())
}

fn read(
    args: &ReadArgs,
    color: ColorChoice,
    follow: bool,
    certificates_only: bool,
) -> io::Result<i32> {
    if let Err(e) = args.etl_backend.check() {
        eprintln!("certtrace: {e}");
        return Ok(2);
    }
    let ropts = ReadOptions {
        pid: args.pid,
        field: args.field.clone(),
        format: Some(args.input_format),
        provider: args.provider.clone(),
        etl_backend: args.etl_backend,
    };
    if args.inputs.iter().filter(|n| *n == "-").count() > 1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "stdin (-) can be read only once",
        ));
    }
    let live_args = &args.follow;
    let stop_rules = crate::watch::StopRules {
        fail_on: live_args.fail_on.clone(),
        until_requests: live_args.until,
        duration: live_args.duration,
        summary_every: live_args.summary_every,
    };
    if follow {
        if args.inputs == ["-"] && io::stdin().is_terminal() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no input: name the capture files to follow (`certtrace tail FILE...`), \
                 or pipe a capture into `certtrace tail -`",
            ));
        }
        let fopts = sources::follow::FollowOptions {
            from_start: live_args.from_start,
            poll: live_args.poll,
            read: ropts,
            ..Default::default()
        };
        let stream: ItemStream = Box::new(sources::follow::follow(&args.inputs, fopts));
        let mut popts = PipelineOptions::new(CorrelateOptions::default(), RequestFilter::default());
        popts.only_pid = args.pid;
        popts.batch = 1;
        popts.live = true;
        popts.stop = stop_rules;
        popts.filter.certificates_only = certificates_only;
        return report(
            args.inputs.clone(),
            vec![Input::Stream(stream)],
            &args.output,
            color,
            popts,
            true,
        );
    }
    if args.inputs == ["-"] && io::stdin().is_terminal() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no input: name capture files, or pipe a capture into `certtrace read -` \
             (try `certtrace demo --write DIR` for sample files)",
        ));
    }
    let mut inputs = Vec::new();
    let mut live = false;
    for name in &args.inputs {
        if name == "-" && !stdin_is_regular_file() {
            live = true;
        }
        match sources::open(name, &ropts) {
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
        &args.output,
        color,
        popts,
        false,
    )
}

fn etl(args: &EtlArgs) -> io::Result<i32> {
    let name = args.file.display().to_string();
    let file = std::fs::File::open(&args.file)
        .map_err(|e| io::Error::new(e.kind(), format!("{name}: {}", describe_open_error(&e))))?;
    let report = crate::etl::inspect(io::BufReader::new(file), &name, args.first)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{name}: {e}")))?;
    let mut out = io::stdout().lock();
    match args.format {
        ReportFormat::Text => write!(out, "{}", report.render_text())?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report).map_err(io::Error::other)?;
            writeln!(out)?;
        }
    }
    Ok(0)
}

/// `certtrace live`: the capture runs on its own thread and feeds the
/// pipeline through a channel; Ctrl-C stops the capture (not the pipeline),
/// so what was captured is drained and correlated before the summary.
fn live(args: &LiveCommandArgs, color: ColorChoice) -> io::Result<i32> {
    use std::sync::mpsc;

    use crate::live::{LiveError, LiveSummary};

    let opts = match args.capture.to_options() {
        Ok(o) => o,
        Err(e) => {
            // An option combination that makes no sense: a usage error.
            eprintln!("certtrace: live capture: {e}");
            return Ok(2);
        }
    };
    if let Err(e) = crate::live::check_options(&opts) {
        eprintln!("certtrace: live capture: {e}");
        return Ok(match e {
            LiveError::InvalidOption(_) | LiveError::NoSource => 2,
            _ => 1,
        });
    }
    let capture_stop = stop_flag();
    let (tx, rx) = mpsc::sync_channel::<sources::SourceItem>(4096);
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
            );
            // Output gone (closed pipe): stop capturing too.
            pipeline_stop.store(true, Ordering::SeqCst);
            r
        })?;
    let sink_stop = capture_stop.clone();
    let mut sink = |item: sources::SourceItem| {
        if tx.send(item).is_err() {
            sink_stop.store(true, Ordering::SeqCst);
        }
    };
    let outcome: Result<LiveSummary, LiveError> =
        crate::live::capture(&opts, capture_stop.clone(), &mut sink);
    drop(tx);
    let code = pipeline
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("pipeline thread failed")))?;
    match outcome {
        Ok(summary) => {
            eprintln!("{summary}");
            Ok(code)
        }
        Err(e) => {
            eprintln!("certtrace: live capture: {e}");
            Ok(1)
        }
    }
}

fn crc(args: &crate::cli::CrcArgs) -> io::Result<i32> {
    let report = crate::certs::report::crc_report(&args.files);
    for w in &report.warnings {
        eprintln!("certtrace: warning: {w}");
    }
    let mut out = io::stdout().lock();
    match args.format {
        ReportFormat::Text => writeln!(out, "{}", crate::certs::report::render_table(&report))?,
        ReportFormat::Json => writeln!(out, "{}", crate::certs::report::render_json(&report))?,
    }
    Ok(if report.rows.is_empty() { 1 } else { 0 })
}

fn describe_open_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn demo(args: &DemoArgs, color: ColorChoice) -> io::Result<i32> {
    let (_, sim) = crate::demo::simulation(args.seed, args.requests.max(1));
    if let Some(dir) = &args.write {
        let written = crate::demo::write(dir, &sim)?;
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
        return Ok(0);
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
    report(
        vec!["demo.log".into()],
        vec![Input::Stream(stream)],
        &args.output,
        color,
        popts,
        false,
    )
}

/// Whether stdin is redirected from a regular file (read in big batches)
/// rather than a pipe or terminal (handled line by line as it arrives).
fn stdin_is_regular_file() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let stdin = io::stdin();
        if let Ok(fd) = stdin.as_fd().try_clone_to_owned() {
            let f = std::fs::File::from(fd);
            return f.metadata().map(|m| m.is_file()).unwrap_or(false);
        }
        false
    }
    #[cfg(windows)]
    {
        use std::os::windows::io::AsHandle;
        let stdin = io::stdin();
        if let Ok(h) = stdin.as_handle().try_clone_to_owned() {
            let f = std::fs::File::from(h);
            return f.metadata().map(|m| m.is_file()).unwrap_or(false);
        }
        false
    }
    #[cfg(not(any(unix, windows)))]
    {
        false
    }
}
