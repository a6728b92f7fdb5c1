using Commerce.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Notifications.Email.Tests.TestSupport;

/// <summary>Builds notifiers over one store (a "cluster" of hosts when several share it), on a fake clock, with a log that keeps every line.</summary>
internal sealed class EmailTestHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services;

    public EmailTestHost()
    {
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
        services.AddSingleton<TimeProvider>(Time);
        services.AddCommerceJobs(_ => { });
        _services = services.BuildServiceProvider();
        Store = _services.GetRequiredService<IJobStore>();
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public IJobStore Store { get; }

    public ListLoggerProvider Logs { get; } = new();

    public static EmailNotifierOptions Options(int port, Action<EmailNotifierOptions>? configure = null)
    {
        var options = new EmailNotifierOptions
        {
            SmtpHost = "127.0.0.1",
            SmtpPort = port,
            Security = EmailSecurity.None,
            From = "Shop jobs <jobs@shop.example>",
            SiteName = "Shop (EU)",
            SiteTimeZone = "Europe/Berlin",
            DashboardBaseAddress = new Uri("https://shop.example/jobs"),
        };
        options.To.Add("admin@shop.example");
        options.To.Add("ops@shop.example");
        configure?.Invoke(options);
        return options;
    }

    public EmailFailureNotifier Notifier(EmailNotifierOptions options)
        => new(options, Store, Store, Time, _services.GetRequiredService<ILoggerFactory>().CreateLogger<EmailFailureNotifier>());

    public static JobFailure Failure(string job, string error, DateTimeOffset at, RecordCounts counts = default, string host = "web-01")
    {
        var run = new JobRun
        {
            RunId = Guid.CreateVersion7(at),
            JobName = job,
            Trigger = TriggerKind.Schedule,
            HostName = host,
            StartedAt = at,
            EndedAt = at,
            Outcome = JobOutcome.Failed,
            Counts = counts,
            Error = error,
        };
        return new JobFailure(job, host, at, error, run);
    }

    public static JobRun Success(string job, DateTimeOffset at, string host = "web-01") => new()
    {
        RunId = Guid.CreateVersion7(at),
        JobName = job,
        Trigger = TriggerKind.Schedule,
        HostName = host,
        StartedAt = at,
        EndedAt = at,
        Outcome = JobOutcome.Succeeded,
    };

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

/// <summary>Keeps every formatted log line (and its exception) of every logger.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(_lines);

    public void Dispose()
    {
    }

    private sealed class Logger(System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
    }
}
