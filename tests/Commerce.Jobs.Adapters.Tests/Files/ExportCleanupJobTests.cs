using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Tests.Files;

public sealed class ExportCleanupJobTests : IDisposable
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);
    private readonly TempFolder _folder = new();
    private readonly FakeTimeProvider _time = new(Batches.Start);

    [Fact]
    public async Task Removes_only_export_files_older_than_the_retention()
    {
        var target = new FileExportTarget("reports", new FileExportOptions { Folder = _folder.Path, Format = FileExportFormat.Csv }, _time, NullLogger.Instance);
        await target.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);
        var oldCsv = Assert.Single(_folder.Files());
        var oldJsonl = "order-export_20251101T000000000Z_0123456789abcdef.jsonl";
        var recent = "order-export_20260101T000000000Z_fedcba9876543210.jsonl";
        var staleTemp = ".order-export_0123456789abcdef0123456789abcdef.export.tmp";
        string[] foreign =
        [
            "notes.txt",
            "orders.csv",
            "order-export_2025_0123456789abcdef.jsonl",
            "order-export_20251101T000000000Z_0123456789ABCDEF.jsonl",
            "order-export_20251101T000000000Z_0123456789abcdef.jsonl.bak",
            ".order-export_0123456789abcdef.export.tmp",
        ];
        foreach (var name in foreign.Append(oldJsonl).Append(recent).Append(staleTemp))
        {
            await File.WriteAllTextAsync(Path.Combine(_folder.Path, name), "x");
        }

        var now = Batches.Start.AddDays(45);
        foreach (var name in _folder.Files())
        {
            File.SetLastWriteTimeUtc(Path.Combine(_folder.Path, name), (name == recent ? now.AddDays(-29) : now.AddDays(-31)).UtcDateTime);
        }

        _time.SetUtcNow(now);
        var context = Context();
        var result = await new ExportCleanupJob(_folder.Path, Retention).ExecuteAsync(context, CancellationToken.None);

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(foreign.Append(recent).Order(StringComparer.Ordinal), _folder.Files());
        Assert.DoesNotContain(oldCsv, _folder.Files());
        Assert.Contains(context.LogEntries, l => l.Message.StartsWith("Removed 3 export files", StringComparison.Ordinal) && l.Message.Contains("kept 1", StringComparison.Ordinal));
        Assert.Equal(new RecordCounts(4, 3, 0, 0), result.Counts);
    }

    [Fact]
    public async Task A_file_exactly_at_the_retention_stays()
    {
        var name = "order-export_20260101T000000000Z_fedcba9876543210.csv";
        var path = Path.Combine(_folder.Path, name);
        await File.WriteAllTextAsync(path, "x");
        File.SetLastWriteTimeUtc(path, (Batches.Start - Retention).UtcDateTime);

        await new ExportCleanupJob(_folder.Path, Retention).ExecuteAsync(Context(), CancellationToken.None);

        Assert.Equal([name], _folder.Files());
    }

    [Fact]
    public async Task A_missing_folder_is_nothing_to_do()
    {
        var context = Context();

        var result = await new ExportCleanupJob(Path.Combine(_folder.Path, "gone"), Retention).ExecuteAsync(context, CancellationToken.None);

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Contains(context.LogEntries, l => l.Level == JobLogLevel.Warning && l.Message.Contains("does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public void Registration_checks_its_arguments()
    {
        var services = new ServiceCollection();

        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddCommerceJobs(jobs => jobs.AddExportCleanup("cleanup-export-files", _folder.Path, TimeSpan.Zero)));
        Assert.Throws<ArgumentException>(() => services.AddCommerceJobs(jobs => jobs.AddExportCleanup("cleanup-export-files-2", " ", Retention)));
    }

    [Fact]
    public async Task The_registered_job_runs_in_the_engine()
    {
        var old = Path.Combine(_folder.Path, "order-export_20251101T000000000Z_0123456789abcdef.jsonl");
        await File.WriteAllTextAsync(old, "{}");
        File.SetLastWriteTimeUtc(old, (Batches.Start - TimeSpan.FromDays(60)).UtcDateTime);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddCommerceJobs(jobs => jobs.AddExportCleanup("cleanup-export-files", _folder.Path, Retention));
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        try
        {
            var result = await provider.GetRequiredService<IJobRunner>().RunAsync("cleanup-export-files", null, TimeSpan.FromSeconds(30), CancellationToken.None);

            Assert.Equal(JobOutcome.Succeeded, result.Outcome);
            Assert.Empty(_folder.Files());
            var status = provider.GetRequiredService<IJobMonitor>().GetStatuses().Single(s => s.JobName == "cleanup-export-files");
            Assert.Equal(new DateTimeOffset(2026, 1, 6, 3, 0, 0, TimeZoneInfo.Local.GetUtcOffset(new DateTime(2026, 1, 6, 3, 0, 0))), status.NextFireTime);
        }
        finally
        {
            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }
        }
    }

    public void Dispose() => _folder.Dispose();

    private JobContext Context() => new("cleanup-export-files", Guid.NewGuid(), TriggerKind.Manual, null, new ServiceCollection().BuildServiceProvider(), _time);
}
