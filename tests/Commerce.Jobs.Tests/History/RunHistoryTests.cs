using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.Scheduling;
using Commerce.Jobs.Tests.TestSupport;
using FsCheck;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.History;

/// <summary>One job's runs in memory (a ring buffer): what it finds is what a plain list in the same order finds, wherever the ring wraps.</summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class RunHistoryTests
{
    private static readonly JobOutcome[] Outcomes = Enum.GetValues<JobOutcome>();

    /// <param name="steps">Per step: add a run (its outcome from the value), or, for a multiple of 3, trim the oldest.</param>
    [Property(MaxTest = 300)]
    public bool The_predecessor_found_is_the_one_a_list_in_the_same_order_finds(byte[] steps)
    {
        var history = new RunHistory();
        var model = new List<JobRun>();
        var removed = new List<JobRun>();
        foreach (var step in steps ?? [])
        {
            if (step % 3 == 0 && model.Count > 0)
            {
                history.RemoveOldest();
                removed.Add(model[0]);
                model.RemoveAt(0);
            }
            else
            {
                var run = Run(Outcomes[step % Outcomes.Length]);
                history.AddNewest(run);
                model.Add(run);
            }
        }

        var found = model.Select((run, i) => history.Predecessor(run.RunId) == new RunPredecessor(true, i > 0 ? model[i - 1].Outcome : null));
        var gone = removed.Append(Run(JobOutcome.Failed)).Select(run => history.Predecessor(run.RunId) == default);
        return history.Count == model.Count
            && found.All(f => f)
            && gone.All(g => g)
            && history.Newest(int.MaxValue).SequenceEqual(Enumerable.Reverse(model));
    }

    private static JobRun Run(JobOutcome outcome) => new()
    {
        RunId = Guid.NewGuid(),
        JobName = "orders",
        Trigger = TriggerKind.Manual,
        HostName = "web-01",
        StartedAt = TestEngine.Start,
        EndedAt = TestEngine.Start,
        Outcome = outcome,
    };
}
