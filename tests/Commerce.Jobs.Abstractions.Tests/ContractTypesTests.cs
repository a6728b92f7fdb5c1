using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Abstractions.Tests;

public sealed class ContractTypesTests
{
    [Fact]
    public void DeliveryResult_batch_status_applies_to_every_record()
    {
        var result = DeliveryResult.TransientFailure("503", TimeSpan.FromSeconds(30));

        Assert.Equal(new RecordOutcome(RecordStatus.TransientFailure, "503"), result.GetOutcome(7));
        Assert.Equal(TimeSpan.FromSeconds(30), result.RetryAfter);
        Assert.Same(DeliveryResult.Delivered, DeliveryResult.Delivered);
        Assert.Equal(RecordStatus.Delivered, DeliveryResult.Delivered.GetOutcome(0).Status);
    }

    [Fact]
    public void DeliveryResult_per_record_keeps_each_outcome_and_refuses_skipped()
    {
        var result = DeliveryResult.PerRecord([RecordOutcome.Delivered, RecordOutcome.Permanent("bad sku")]);

        Assert.Null(result.BatchStatus);
        Assert.Equal(RecordStatus.PermanentFailure, result.GetOutcome(1).Status);
        Assert.Throws<ArgumentException>(() => DeliveryResult.PerRecord([new RecordOutcome(RecordStatus.Skipped)]));
        Assert.Throws<ArgumentException>(() => DeliveryResult.TransientFailure(" "));
    }

    [Fact]
    public void DeliveryBatch_gives_stable_ids_and_idempotency_keys()
    {
        var batch = new DeliveryBatch<string>("order-submit", new[] { "SO1", "SO2" }, s => s, attempt: 2);

        Assert.Equal(2, batch.Count);
        Assert.Equal("SO2", batch.GetRecordId(1));
        Assert.Equal("order-submit:SO1", batch.GetIdempotencyKey(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeliveryBatch<string>("j", Array.Empty<string>(), s => s, -1));
    }

    [Fact]
    public void JobContext_keeps_log_lines_up_to_the_limit_and_reads_parameters()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var context = new JobContext("order-history", Guid.NewGuid(), TriggerKind.OnDemand, 42, new EmptyServices(), time);

        for (var i = 0; i < JobContext.MaxLogLines + 5; i++)
        {
            context.Log(JobLogLevel.Information, $"line {i}");
        }

        Assert.Equal(JobContext.MaxLogLines, context.LogEntries.Count);
        Assert.Equal(5, context.DroppedLogLines);
        Assert.Equal(time.GetUtcNow(), context.LogEntries[0].Timestamp);
        Assert.Equal(42, context.GetParameters<int>());
        var ex = Assert.Throws<InvalidOperationException>(() => context.GetParameters<string>());
        Assert.Contains("'order-history'", ex.Message);
    }

    [Fact]
    public void JobResult_factories()
    {
        Assert.Same(JobResult.Success, JobResult.Succeeded(null));
        Assert.Equal("history", JobResult.Succeeded("history").Value);
        Assert.Equal("Failed: ERP down", JobResult.Failed("ERP down").ToString());
        Assert.Equal(JobOutcome.PartiallySucceeded, JobResult.PartiallySucceeded("2 skipped").Outcome);
        Assert.Throws<ArgumentException>(() => JobResult.Failed(""));
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
