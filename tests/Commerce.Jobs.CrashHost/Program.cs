using System.Globalization;
using Commerce.Jobs;
using Commerce.Jobs.CrashHost;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The SQLite crash test's child: offers records 0..count-1 to the "export" job's inbox in chunks (skipping the chunks a
// checkpoint says an earlier process offered), then waits until the inbox is empty and exits 0. The test kills it with
// SIGKILL at random points and starts it again.
// Usage: Commerce.Jobs.CrashHost <database file> <output file> <record count> [target latency per batch, ms]
// With `entity-sync-pg` as the first argument it is the PostgreSQL entity-sync crash test's child (EntitySyncCrashMode).
if (args is [EntitySyncCrashMode.Mode, ..])
{
    return await EntitySyncCrashMode.RunAsync(args);
}

// With `history-sqlite` it is the SQLite run-history crash test's child (HistoryCrashMode).
if (args is [HistoryCrashMode.Mode, ..])
{
    return await HistoryCrashMode.RunAsync(args);
}

var latencyMs = 0;
if (args.Length is < 3 or > 4
    || !int.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
    || (args.Length == 4 && !int.TryParse(args[3], NumberStyles.None, CultureInfo.InvariantCulture, out latencyMs)))
{
    Console.Error.WriteLine("usage: Commerce.Jobs.CrashHost <database file> <output file> <record count> [target latency per batch, ms]");
    return 2;
}

const string Job = "export";
const string OfferedCheckpoint = "crash-host.offered";
const int Chunk = 1_000;
var (database, output) = (args[0], args[1]);

using var target = new AppendingFileTarget(output, TimeSpan.FromMilliseconds(latencyMs));
var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddCommerceJobs(jobs =>
{
    jobs.UseSqliteStore($"Data Source={database}");
    jobs.AddRecordJob<CrashRecord>(Job).ReadFromInbox().DeliverTo(target).Schedule(Schedule.Automatic()).Batch(500);
});

using var host = builder.Build();
await host.StartAsync();
var store = host.Services.GetRequiredService<IJobStore>();
var inbox = host.Services.GetRequiredService<IRecordInbox>();

// The checkpoint is written after the chunk is stored: a kill in between re-offers the chunk, and the duplicates carry
// the same idempotency keys.
var offered = int.TryParse(await store.GetCheckpointAsync(OfferedCheckpoint, default), CultureInfo.InvariantCulture, out var last) ? last : 0;
for (var start = offered; start < count; start += Chunk)
{
    var end = Math.Min(start + Chunk, count);
    await inbox.OfferAsync(Job, Enumerable.Range(start, end - start).Select(i => new CrashRecord(i)), default);
    await store.SetCheckpointAsync(OfferedCheckpoint, end.ToString(CultureInfo.InvariantCulture), default);
}

Console.WriteLine("offered");
host.Services.GetRequiredService<IJobTrigger>().Signal(Job);
while (await store.CountPendingRecordsAsync(Job, default) > 0)
{
    await Task.Delay(20);
}

Console.WriteLine("done");
await host.StopAsync();
return 0;
