using Commerce.Jobs.Runners;
using Commerce.Jobs.Tests.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.Runners;

/// <summary>
/// A job's decisions alone, driven as the engine drives them: a run asked for is in flight at once (the engine hands it
/// to a worker) or held; a run in flight starts, then completes; after a completion and on resume the engine takes the
/// held runs while the job has room. Whatever the interleaving, no more than MaxConcurrency runs are in flight, every
/// request runs once, and a trigger is never lost: it runs, or a run of its own kind or a resubmit starts after it.
/// </summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class JobEntryDecisionTests
{
    public enum Op
    {
        Trigger,
        Resubmit,
        Request,
        Begin,
        Complete,
        Drop,
        Pause,
        Resume,
    }

    private static readonly Arbitrary<(int MaxConcurrency, Op[] Ops, int[] Picks)> Cases =
        (from max in Gen.Choose(1, 4)
         from count in Gen.Choose(0, 120)
         from ops in Gen.ListOf(Gen.Elements(Enum.GetValues<Op>()), count)
         from picks in Gen.ListOf(Gen.Choose(0, 1_000), count)
         select (max, ops.ToArray(), picks.ToArray())).ToArbitrary();

    [Property(MaxTest = 300)]
    public Property Any_interleaving_keeps_runs_within_MaxConcurrency_and_loses_no_request() => Prop.ForAll(Cases, c =>
    {
        var entry = new JobEntry("job", new JobOptions { MaxConcurrency = c.MaxConcurrency }, Schedule.Manual(), null!);
        var engine = new Engine(entry, c.MaxConcurrency);
        entry.Open();
        for (var i = 0; i < c.Ops.Length; i++)
        {
            engine.Apply(c.Ops[i], c.Picks[i]);
        }

        // Resumed and run to the end: nothing is held, every request ran once, and every trigger was followed by a run.
        engine.Apply(Op.Resume, 0);
        while (engine.InFlight.Count > 0)
        {
            engine.Apply(Op.Complete, 0);
        }

        Assert.Equal(JobState.Idle, entry.GetStatus().State);
        Assert.Empty(engine.Requests.Where(r => r.Value != 1).Select(r => $"request {r.Key} ran {r.Value} times"));
        Assert.Equal(0, engine.TriggersWaiting);
        Assert.False(engine.ResubmitWaiting, "A resubmit was coalesced into a follow-up of another kind.");
    });

    [Fact]
    public void Before_the_engine_opens_the_job_every_run_is_held_and_taken_once_it_opens()
    {
        var entry = new JobEntry("job", new JobOptions { MaxConcurrency = 1 }, Schedule.Manual(), null!);
        var request = new RunRequest(Guid.NewGuid(), TriggerKind.Manual, null, CancellationToken.None);

        Assert.Equal(RunDecision.Held, entry.Trigger(TriggerKind.Schedule));
        Assert.Equal(RunDecision.Held, entry.Request(request));
        Assert.False(entry.TryTakeNext(out _));

        entry.Open();
        Assert.True(entry.TryTakeNext(out var first));
        Assert.Same(request, first.Request);
        Assert.False(entry.TryTakeNext(out _));
        entry.OnCompleted(started: false, run: null);
        Assert.True(entry.TryTakeNext(out var second));
        Assert.Equal(TriggerKind.Schedule, second.Trigger);
        Assert.Null(second.Request);
    }

    [Fact]
    public void Once_the_engine_closes_the_job_nothing_starts_and_a_request_is_refused()
    {
        var entry = new JobEntry("job", new JobOptions { MaxConcurrency = 2 }, Schedule.Manual(), null!);
        entry.Open();

        entry.Close();
        entry.Open();

        // Nothing is held for a stopping engine: the job stays idle (a waiter for it returns at once).
        Assert.Equal(RunDecision.Refused, entry.Trigger(TriggerKind.Manual));
        var ex = Assert.Throws<InvalidOperationException>(() => entry.Request(new RunRequest(Guid.NewGuid(), TriggerKind.Manual, null, CancellationToken.None)));
        Assert.Contains("stopping", ex.Message, StringComparison.Ordinal);
        Assert.False(entry.TryTakeNext(out _));
        Assert.True(entry.WaitForIdleAsync(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public void A_request_made_while_room_frees_queues_behind_the_held_ones_in_call_order()
    {
        var entry = new JobEntry("job", new JobOptions { MaxConcurrency = 1 }, Schedule.Manual(), null!);
        entry.Open();
        var a = new RunRequest(Guid.NewGuid(), TriggerKind.Queued, null, CancellationToken.None);
        var b = new RunRequest(Guid.NewGuid(), TriggerKind.Queued, null, CancellationToken.None);
        var c = new RunRequest(Guid.NewGuid(), TriggerKind.Queued, null, CancellationToken.None);
        Assert.Equal(RunDecision.Start, entry.Request(a));
        Assert.Equal(RunDecision.Held, entry.Request(b));

        // A ends: there is room, and before the engine takes the held run, C is asked for. It must not overtake B.
        entry.OnCompleted(started: false, run: null);
        Assert.Equal(RunDecision.Held, entry.Request(c));

        Assert.True(entry.TryTakeNext(out var next));
        Assert.Same(b, next.Request);
        Assert.False(entry.TryTakeNext(out _));
    }

    [Fact]
    public void A_disabled_job_refuses_a_trigger()
    {
        var entry = new JobEntry("job", new JobOptions { Enabled = false }, Schedule.Manual(), null!);
        entry.Open();

        Assert.Equal(RunDecision.Refused, entry.Trigger(TriggerKind.Manual));
        Assert.False(entry.TryTakeNext(out _));
    }

    /// <summary>What the engine does with a job's decisions, with a model of what must come of them.</summary>
    private sealed class Engine(JobEntry entry, int maxConcurrency)
    {
        private int _nextRequest;

        /// <summary>Gets the runs in flight: handed to the workers, started or not.</summary>
        public List<(WorkItem Item, bool Started)> InFlight { get; } = [];

        /// <summary>Gets, per request asked for, how many times it was taken to run.</summary>
        public Dictionary<int, int> Requests { get; } = [];

        /// <summary>Gets the triggers held and not yet followed by a run (coalesced: any number count as one).</summary>
        public int TriggersWaiting { get; private set; }

        /// <summary>Gets a value indicating whether a held resubmit has not run yet.</summary>
        public bool ResubmitWaiting { get; private set; }

        public void Apply(Op op, int pick)
        {
            switch (op)
            {
                case Op.Trigger or Op.Resubmit:
                    var kind = op == Op.Resubmit ? TriggerKind.Resubmit : TriggerKind.Manual;
                    var decision = entry.Trigger(kind);
                    Assert.NotEqual(RunDecision.Refused, decision);
                    if (decision == RunDecision.Start)
                    {
                        Dispatch(new WorkItem(entry, kind, null));
                    }
                    else
                    {
                        TriggersWaiting = 1;
                        ResubmitWaiting |= kind == TriggerKind.Resubmit;
                    }

                    break;
                case Op.Request:
                    var id = _nextRequest++;
                    var request = new RunRequest(Guid.NewGuid(), TriggerKind.OnDemand, id, CancellationToken.None);
                    Requests[id] = 0;
                    if (entry.Request(request) == RunDecision.Start)
                    {
                        Dispatch(new WorkItem(entry, request.Trigger, request));
                    }

                    break;
                case Op.Begin:
                    var waiting = InFlight.FindIndex(r => !r.Started);
                    if (waiting >= 0)
                    {
                        entry.OnStarted();
                        InFlight[waiting] = (InFlight[waiting].Item, true);
                    }

                    break;
                case Op.Complete or Op.Drop when InFlight.Count > 0:
                    var index = pick % InFlight.Count;
                    var (item, started) = InFlight[index];
                    InFlight.RemoveAt(index);
                    entry.OnCompleted(started, started && op == Op.Complete ? Run(item) : null);
                    StartWaiting();
                    break;
                case Op.Pause:
                    entry.Control(paused: true, disabled: null, DateTimeOffset.UnixEpoch);
                    StartWaiting();
                    break;
                case Op.Resume:
                    entry.Control(paused: false, disabled: null, DateTimeOffset.UnixEpoch);
                    StartWaiting();
                    break;
            }

            Assert.True(InFlight.Count <= maxConcurrency, $"{InFlight.Count} runs in flight, more than {maxConcurrency}.");
            Assert.True(InFlight.Count(r => r.Started) <= maxConcurrency);
        }

        private void StartWaiting()
        {
            while (entry.TryTakeNext(out var item))
            {
                Dispatch(item);
            }
        }

        private void Dispatch(WorkItem item)
        {
            Assert.Same(entry, item.Entry);
            if (item.Request is { Parameters: int id })
            {
                Requests[id]++;
            }
            else if (item.Trigger == TriggerKind.Resubmit || !ResubmitWaiting)
            {
                // A held trigger is followed by this run; a held resubmit only by a resubmit (it outranks the others).
                TriggersWaiting = 0;
                ResubmitWaiting = false;
            }

            InFlight.Add((item, false));
        }

        private static JobRun Run(WorkItem item) => new()
        {
            RunId = Guid.NewGuid(),
            JobName = item.Entry.Name,
            Trigger = item.Trigger,
            HostName = "test",
            StartedAt = DateTimeOffset.UnixEpoch,
            EndedAt = DateTimeOffset.UnixEpoch,
            Outcome = JobOutcome.Succeeded,
        };
    }
}
