using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.CrashHost;

/// <summary>
/// The SQLite run-history crash test's child: queues runs of a manual job (<c>MaxConcurrency</c> 16, at most 116 outstanding,
/// the oldest awaited when full) with the SQLite store until it is killed, and appends the id of every run whose caller was
/// answered to the answered file, one line each, as it is answered. It prints <c>started</c> once the host is up.
/// </summary>
public static class HistoryCrashMode
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Mode = "history-sqlite";

    public const string Job = "tick";

    public static async Task<int> RunAsync(string[] args)
    {
        // Usage: Commerce.Jobs.CrashHost history-sqlite <database file> <answered file>
        if (args.Length != 3)
        {
            Console.Error.WriteLine($"usage: Commerce.Jobs.CrashHost {Mode} <database file> <answered file>");
            return 2;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddCommerceJobs(jobs =>
        {
            jobs.UseSqliteStore($"Data Source={args[1]}");
            jobs.AddJob(Job, static (_, _) => ValueTask.FromResult(JobResult.Success))
                .Schedule(Schedule.Manual())
                .MaxConcurrency(16)
                .KeepHistory(100_000, TimeSpan.FromDays(3650));
        });

        using var host = builder.Build();
        await host.StartAsync();
        var runner = host.Services.GetRequiredService<IJobRunner>();

        // One write per line, as it is answered: a SIGKILL loses no line already written (at most cuts the one being written).
        await using var answered = new StreamWriter(new FileStream(args[2], FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        Console.WriteLine("started");
        var outstanding = new Queue<JobRunHandle>();
        while (true)
        {
            if (outstanding.Count == 116)
            {
                var oldest = outstanding.Dequeue();
                await oldest.Completion;
                await answered.WriteLineAsync(oldest.RunId.ToString("D"));
            }

            outstanding.Enqueue(runner.Enqueue(Job, null));
        }
    }
}
