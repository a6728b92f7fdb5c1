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
    private readonly List<(Func<IReadOnlyCollection<string>, bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    /// <summary>Waits (bounded by the caller) until the lines satisfy <paramref name="condition"/>: checked at each line, never polled.</summary>
    public Task WaitForAsync(Func<IReadOnlyCollection<string>, bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (condition(_lines))
            {
                return Task.CompletedTask;
            }

            _waiters.Add((condition, done));
        }

        return done.Task;
    }

    /// <summary>Waits until at least <paramref name="count"/> lines contain <paramref name="text"/>.</summary>
    public Task WaitForLinesAsync(string text, int count) => WaitForAsync(lines => lines.Count(l => l.Contains(text, StringComparison.Ordinal)) >= count);

    private void Add(string line)
    {
        lock (_waiters)
        {
            _lines.Enqueue(line);
            foreach (var waiter in _waiters.Where(w => w.Condition(_lines)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }
    }

    public void Dispose()
    {
    }

    private sealed class Logger(ListLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => provider.Add($"{logLevel}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>Drives the e-mail notifier's retries on a fake clock: the clock is moved by each retry's delay only once its timer is armed (the "retrying in" line is written after).</summary>
internal static class Retries
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Lets <paramref name="sends"/> sends fail through all their attempts: after each "retrying in" line (counted from <paramref name="retriedBefore"/>), the clock moves by that retry's delay.</summary>
    public static async Task GiveUpAsync(FakeTimeProvider time, ListLoggerProvider logs, int sends = 1, int retriedBefore = 0)
    {
        var delays = EmailNotifierDefaults.RetryDelays;
        for (var i = 0; i < sends * delays.Length; i++)
        {
            await logs.WaitForLinesAsync("retrying in", retriedBefore + i + 1).WaitAsync(Patience);
            time.Advance(delays[i % delays.Length]);
        }
    }
}

