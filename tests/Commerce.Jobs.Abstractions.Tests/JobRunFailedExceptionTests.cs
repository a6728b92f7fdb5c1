using FsCheck.Xunit;

namespace Commerce.Jobs.Abstractions.Tests;

public sealed class JobRunFailedExceptionTests
{
    [Property(MaxTest = 200, Arbitrary = [typeof(JobContextLogTests.HostileText)])]
    public bool Message_is_the_runs_error_capped_and_made_safe(string error)
    {
        var runId = Guid.CreateVersion7();
        var result = JobResult.Create(JobOutcome.Failed, error, null, new RecordCounts(3, 1, 1, 1));

        var ex = new JobRunFailedException("order-history", runId, result);

        return ex.Message == OutsideText.Cap(error)
            && ex.Message.Length <= OutsideText.MaxErrorLength
            && !ex.Message.Contains('\0', StringComparison.Ordinal)
            && ex.JobName == "order-history"
            && ex.RunId == runId
            && ReferenceEquals(ex.Result, result);
    }

    [Fact]
    public void A_result_without_an_error_gives_a_message_naming_the_job_and_run()
    {
        var runId = Guid.CreateVersion7();

        var ex = new JobRunFailedException("order-history", runId, JobResult.Create(JobOutcome.Failed, null, null, default));

        Assert.Equal($"Job 'order-history' run {runId} failed.", ex.Message);
        Assert.Throws<ArgumentNullException>(() => new JobRunFailedException("order-history", runId, null!));
        Assert.Throws<ArgumentException>(() => new JobRunFailedException(" ", runId, JobResult.Failed("x")));
    }
}
