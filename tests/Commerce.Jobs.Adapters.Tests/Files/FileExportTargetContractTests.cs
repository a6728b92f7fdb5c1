using System.Text.Json;
using Commerce.Jobs.Adapters.Tests.Targets;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Tests.Files;

/// <summary>The contract suite against a folder: each record read back from the files, keyed by its file's batch hash.</summary>
public abstract class FileExportTargetContractTests(FileExportFormat format) : DeliveryTargetContractTests, IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly FakeTimeProvider _time = new(Batches.Start);

    protected override string TargetName => "reports";

    protected override IDeliveryTarget CreateSut() => new FileExportTarget(
        TargetName,
        new FileExportOptions { Folder = _folder.Path, Format = format },
        _time,
        NullLogger.Instance);

    protected override Task<IReadOnlyList<DeliveredRecord>> ReadDeliveredAsync()
    {
        // Each delivery happens later on the clock, so a file written twice would show up under two names.
        _time.Advance(TimeSpan.FromSeconds(1));
        var delivered = new List<DeliveredRecord>();
        foreach (var file in _folder.Files())
        {
            Assert.Matches(@"^order-submit_\d{8}T\d{9}Z_[0-9a-f]{16}\.(jsonl|csv)$", file);
            var hash = file.Split('_')[^1].Split('.')[0];
            var text = File.ReadAllText(Path.Combine(_folder.Path, file));
            var ids = format == FileExportFormat.Csv
                ? Csv.Parse(text).Skip(1).Select(row => row[0])
                : text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("id").GetString()!);
            delivered.AddRange(ids.Select(id => new DeliveredRecord(id, $"{hash}:{id}")));
        }

        return Task.FromResult<IReadOnlyList<DeliveredRecord>>(delivered);
    }

    public void Dispose()
    {
        _folder.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class FileExportJsonLinesContractTests() : FileExportTargetContractTests(FileExportFormat.JsonLines);

public sealed class FileExportCsvContractTests() : FileExportTargetContractTests(FileExportFormat.Csv);
