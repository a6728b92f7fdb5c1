using Commerce.Jobs.Storage;

using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The run history contract: one suite every <see cref="IRunHistoryStore"/> passes unchanged (in-memory, SQLite, PostgreSQL).
/// A subclass says how to make a fresh, empty store.
/// </summary>
public abstract class RunHistoryStoreContractTests
{
    /// <summary>Makes a fresh, empty store (a new database or schema per call).</summary>
    protected abstract Task<IRunHistoryStore> CreateStoreAsync();

    [Fact]
    public async Task Runs_are_returned_newest_first_with_counts_and_log()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < 5; i++)
        {
            await store.AddRunAsync(Run("order-submit", T0.AddMinutes(i), i % 2 == 0 ? JobOutcome.Succeeded : JobOutcome.Failed), default);
        }

        await store.AddRunAsync(Run("other", T0, JobOutcome.Succeeded), default);

        var runs = await store.GetRunsAsync("order-submit", 3, default);
        Assert.Equal([T0.AddMinutes(4), T0.AddMinutes(3), T0.AddMinutes(2)], runs.Select(r => r.StartedAt));
        var run = runs[1];
        Assert.Equal(JobOutcome.Failed, run.Outcome);
        Assert.Equal(TriggerKind.Automatic, run.Trigger);
        Assert.Equal(new RecordCounts(10, 7, 2, 1), run.Counts);
        Assert.Equal("ERP busy", run.Error);
        Assert.Equal("web-01", run.HostName);
        Assert.Equal(T0.AddMinutes(3).AddSeconds(2), run.EndedAt);
        Assert.Equal([new JobLogEntry(T0.AddMinutes(3), JobLogLevel.Warning, "Record SO1 skipped: ERP busy")], run.Log);
        Assert.Empty(await store.GetRunsAsync("nobody", 10, default));
    }

    [Fact]
    public async Task Purge_keeps_the_last_runs_and_drops_old_ones()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < 10; i++)
        {
            await store.AddRunAsync(Run("tick", T0.AddDays(i), JobOutcome.Succeeded), default);
        }

        Assert.Equal(4, await store.PurgeRunsAsync("tick", keepLast: 6, endedBefore: T0.AddDays(-1), default));
        Assert.Equal(2, await store.PurgeRunsAsync("tick", keepLast: 6, endedBefore: T0.AddDays(6), default));
        Assert.Equal([T0.AddDays(9), T0.AddDays(8), T0.AddDays(7), T0.AddDays(6)], (await store.GetRunsAsync("tick", 100, default)).Select(r => r.StartedAt));
    }

    [Fact]
    public async Task Runs_keep_any_text_as_written()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < HostileTexts.Count; i++)
        {
            var run = new JobRun
            {
                RunId = Guid.NewGuid(),
                JobName = $"text-{i}",
                Trigger = TriggerKind.Manual,
                StartedAt = T0,
                EndedAt = T0.AddSeconds(1),
                Outcome = JobOutcome.Failed,
                HostName = HostileKeys[i % HostileKeys.Count],
                Error = HostileTexts[i],
                Log = [new JobLogEntry(T0, JobLogLevel.Error, HostileTexts[i]), new JobLogEntry(T0, JobLogLevel.Information, HostileKeys[i % HostileKeys.Count])],
            };
            await store.AddRunAsync(run, default);
        }

        for (var i = 0; i < HostileTexts.Count; i++)
        {
            var run = Assert.Single(await store.GetRunsAsync($"text-{i}", 10, default));
            AssertSameText(HostileKeys[i % HostileKeys.Count], run.HostName);
            AssertSameText(HostileTexts[i], run.Error);
            Assert.Equal(2, run.Log.Count);
            AssertSameText(HostileTexts[i], run.Log[0].Message);
            AssertSameText(HostileKeys[i % HostileKeys.Count], run.Log[1].Message);
        }

        // Job names from outside: each is its own history, found and purged by its name.
        foreach (var job in HostileKeys)
        {
            await store.AddRunAsync(Run(job, T0, JobOutcome.Succeeded), default);
        }

        foreach (var job in HostileKeys)
        {
            AssertSameText(job, Assert.Single(await store.GetRunsAsync(job, 10, default)).JobName);
        }

        Assert.Equal(1, await store.PurgeRunsAsync(HostileKeys[0], keepLast: 0, endedBefore: T0, default));
        Assert.Empty(await store.GetRunsAsync(HostileKeys[0], 10, default));
        Assert.Single(await store.GetRunsAsync(HostileKeys[1], 10, default));
    }

    /// <summary>Every trigger kind a run can record, the newest included, comes back as it was written.</summary>
    [Fact]
    public async Task Every_trigger_kind_round_trips()
    {
        var store = await CreateStoreAsync();
        var kinds = Enum.GetValues<TriggerKind>();
        for (var i = 0; i < kinds.Length; i++)
        {
            await store.AddRunAsync(
                new JobRun
                {
                    RunId = Guid.CreateVersion7(T0.AddMinutes(i)),
                    JobName = "order-import",
                    Trigger = kinds[i],
                    HostName = "web-01",
                    StartedAt = T0.AddMinutes(i),
                    EndedAt = T0.AddMinutes(i).AddSeconds(1),
                    Outcome = JobOutcome.Succeeded,
                    Log = [],
                },
                default);
        }

        var runs = await store.GetRunsAsync("order-import", kinds.Length + 1, default);

        Assert.Contains(TriggerKind.Queued, kinds);
        Assert.Equal(kinds, runs.Reverse().Select(r => r.Trigger));
    }

    /// <summary>
    /// Runs added at once from many callers (a host's workers finishing together; a store may commit them in groups) are all
    /// in the history once their calls return, each job's in the order its adds returned, and purges queued between them count.
    /// </summary>
    [Fact]
    public async Task Concurrent_adds_are_all_in_the_history_when_they_return()
    {
        var store = await CreateStoreAsync();
        const int Jobs = 4;
        const int RunsPerJob = 100;

        // Each job's runs are added one after another (as one job's runs are recorded), the jobs at the same time.
        var added = await Task.WhenAll(Enumerable.Range(0, Jobs).Select(job => Task.Run(async () =>
        {
            var ids = new List<Guid>();
            for (var i = 0; i < RunsPerJob; i++)
            {
                var run = Run($"job-{job}", T0.AddSeconds(i), JobOutcome.Succeeded);
                await store.AddRunAsync(run, default);
                ids.Add(run.RunId);
            }

            return ids;
        })));

        // Many more at once, from as many callers, with a purge of another job among them.
        var burst = Enumerable.Range(0, 200).Select(i => Run("burst", T0.AddSeconds(i), JobOutcome.Failed)).ToArray();
        var adds = burst.Select(run => store.AddRunAsync(run, default).AsTask()).ToList();
        var purge = store.PurgeRunsAsync("job-0", keepLast: 10, endedBefore: T0, default).AsTask();
        await Task.WhenAll(adds).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(RunsPerJob - 10, await purge.WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(added[0].TakeLast(10).Reverse(), (await store.GetRunsAsync("job-0", 1_000, default)).Select(r => r.RunId));
        for (var job = 1; job < Jobs; job++)
        {
            Assert.Equal(Enumerable.Reverse(added[job]), (await store.GetRunsAsync($"job-{job}", 1_000, default)).Select(r => r.RunId));
        }

        Assert.Equal(burst.Select(r => r.RunId).Order(), (await store.GetRunsAsync("burst", 1_000, default)).Select(r => r.RunId).Order());
    }

    /// <summary>A job's first run has no predecessor: found, with no outcome before it.</summary>
    [Fact]
    public async Task Predecessor_of_a_jobs_first_run_is_found_with_no_outcome()
    {
        var store = await CreateStoreAsync();
        var first = Run("order-submit", T0, JobOutcome.Succeeded);
        await store.AddRunAsync(Run("other", T0.AddMinutes(-1), JobOutcome.Failed), default);
        await store.AddRunAsync(first, default);
        await store.AddRunAsync(Run("order-submit", T0.AddMinutes(1), JobOutcome.Failed), default);

        Assert.Equal(new RunPredecessor(true, null), await store.GetPredecessorAsync("order-submit", first.RunId, default));
        Assert.Equal(new RunPredecessor(true, null), await store.GetPredecessorAsync("ORDER-SUBMIT", first.RunId, default));
    }

    /// <summary>
    /// The predecessor is the run next after it in <see cref="IRunHistoryStore.GetRunsAsync"/>'s order (as recorded), whatever the
    /// ended times say (equal, or earlier than a run recorded before), however many runs were recorded after it, other jobs' runs
    /// in between not counted.
    /// </summary>
    [Fact]
    public async Task Predecessor_is_the_run_next_in_the_histories_order_however_many_runs_follow()
    {
        var store = await CreateStoreAsync();
        JobOutcome[] outcomes = [JobOutcome.Succeeded, JobOutcome.Failed, JobOutcome.Cancelled, JobOutcome.PartiallySucceeded, JobOutcome.Failed, JobOutcome.Succeeded];
        for (var i = 0; i < 70; i++)
        {
            // Ended times tie in pairs, and every third run ended before the one recorded before it.
            var start = T0.AddMinutes(i / 2).AddSeconds(i % 3 == 0 ? -90 : 0);
            await store.AddRunAsync(Run("stock-sync", start, outcomes[i % outcomes.Length]), default);
            await store.AddRunAsync(Run("price-export", start, JobOutcome.Failed), default);
        }

        var runs = await store.GetRunsAsync("stock-sync", 1_000, default);
        Assert.Equal(70, runs.Count);
        for (var i = 0; i < runs.Count; i++)
        {
            var expected = new RunPredecessor(true, i + 1 < runs.Count ? runs[i + 1].Outcome : null);
            Assert.Equal(expected, await store.GetPredecessorAsync("stock-sync", runs[i].RunId, default));
        }
    }

    /// <summary>A run not in the job's history (never stored, purged, another job's, or an unknown job) is not found.</summary>
    [Fact]
    public async Task Predecessor_of_a_run_not_in_the_history_is_not_found()
    {
        var store = await CreateStoreAsync();
        var runs = Enumerable.Range(0, 4).Select(i => Run("tick", T0.AddDays(i), i == 1 ? JobOutcome.Failed : JobOutcome.Succeeded)).ToArray();
        var other = Run("tock", T0, JobOutcome.Succeeded);
        foreach (var run in runs.Append(other))
        {
            await store.AddRunAsync(run, default);
        }

        Assert.Equal(1, await store.PurgeRunsAsync("tick", keepLast: 3, endedBefore: T0.AddDays(-1), default));

        Assert.Equal(default, await store.GetPredecessorAsync("tick", Guid.NewGuid(), default));
        Assert.Equal(default, await store.GetPredecessorAsync("tick", runs[0].RunId, default));   // purged
        Assert.Equal(default, await store.GetPredecessorAsync("tick", other.RunId, default));     // another job's
        Assert.Equal(default, await store.GetPredecessorAsync("nobody", runs[2].RunId, default));
        Assert.Equal(new RunPredecessor(true, null), await store.GetPredecessorAsync("tick", runs[1].RunId, default));   // first since the purge
        Assert.Equal(new RunPredecessor(true, JobOutcome.Failed), await store.GetPredecessorAsync("tick", runs[2].RunId, default));
    }

    /// <summary>Job names from outside: each its own history, its runs' predecessors found by its name.</summary>
    [Fact]
    public async Task Predecessor_is_found_under_any_job_name()
    {
        var store = await CreateStoreAsync();
        var added = new List<(string Job, JobRun First, JobRun Second)>();
        foreach (var job in HostileKeys)
        {
            var (first, second) = (Run(job, T0, JobOutcome.Failed), Run(job, T0.AddMinutes(1), JobOutcome.Succeeded));
            await store.AddRunAsync(first, default);
            await store.AddRunAsync(second, default);
            added.Add((job, first, second));
        }

        foreach (var (job, first, second) in added)
        {
            Assert.Equal(new RunPredecessor(true, null), await store.GetPredecessorAsync(job, first.RunId, default));
            Assert.Equal(new RunPredecessor(true, JobOutcome.Failed), await store.GetPredecessorAsync(job, second.RunId, default));
        }
    }

    /// <summary>No runs asked about: no answers (and no error).</summary>
    [Fact]
    public async Task Predecessors_of_no_runs_are_no_answers()
    {
        var store = await CreateStoreAsync();
        await store.AddRunAsync(Run("tick", T0, JobOutcome.Failed), default);

        Assert.Empty(await store.GetPredecessorsAsync("tick", [], default));
        Assert.Empty(await store.GetPredecessorsAsync("nobody", [], default));
    }

    /// <summary>
    /// A burst of a job's runs asked about at once gets one answer per id in the order asked, each what the single look-up
    /// answers: runs whose ended times tie, ids asked twice, ids never stored, purged, or another job's, and the job's first run.
    /// </summary>
    [Fact]
    public async Task Predecessors_answer_each_id_in_the_order_asked_as_the_single_look_up_does()
    {
        var store = await CreateStoreAsync();
        JobOutcome[] outcomes = [JobOutcome.Succeeded, JobOutcome.Failed, JobOutcome.Succeeded, JobOutcome.Succeeded, JobOutcome.Cancelled, JobOutcome.PartiallySucceeded, JobOutcome.Failed];
        var runs = new List<JobRun>();
        for (var i = 0; i < 40; i++)
        {
            // Ended times tie in fours: the order recorded decides.
            var run = Run("stock-sync", T0.AddMinutes(i / 4), outcomes[i % outcomes.Length]);
            runs.Add(run);
            await store.AddRunAsync(run, default);
            await store.AddRunAsync(Run("price-export", T0.AddMinutes(i / 4), JobOutcome.Failed), default);
        }

        var other = Run("price-export", T0, JobOutcome.Succeeded);
        await store.AddRunAsync(other, default);
        Assert.Equal(2, await store.PurgeRunsAsync("stock-sync", keepLast: 38, endedBefore: T0.AddDays(-1), default));

        // Newest first, a purged run, an unknown id, another job's run, ids asked twice, the oldest kept (now the first).
        Guid[] asked = [.. runs.Skip(2).Reverse().Select(r => r.RunId), runs[0].RunId, Guid.NewGuid(), other.RunId, runs[39].RunId, runs[2].RunId, runs[17].RunId, runs[17].RunId];
        var answers = await store.GetPredecessorsAsync("STOCK-SYNC", asked, default);

        Assert.Equal(asked.Length, answers.Count);
        for (var i = 0; i < asked.Length; i++)
        {
            Assert.Equal(await store.GetPredecessorAsync("stock-sync", asked[i], default), answers[i]);
        }

        Assert.Equal(new RunPredecessor(true, outcomes[38 % outcomes.Length]), answers[0]);
        Assert.Equal(new RunPredecessor(true, null), answers[37]);   // runs[2]: the first since the purge
        Assert.Equal([default(RunPredecessor), default, default], answers.Skip(38).Take(3));
        Assert.Equal(new RunPredecessor(true, outcomes[16 % outcomes.Length]), answers[^1]);
        Assert.Equal(answers[^2], answers[^1]);
    }

    /// <summary>Job names from outside: each its own history, its runs' predecessors found at once by its name, no other job's.</summary>
    [Fact]
    public async Task Predecessors_are_found_under_any_job_name()
    {
        var store = await CreateStoreAsync();
        var added = new List<(string Job, JobRun First, JobRun Second, JobRun Third)>();
        foreach (var job in HostileKeys)
        {
            var runs = (Run(job, T0, JobOutcome.Succeeded), Run(job, T0, JobOutcome.Failed), Run(job, T0, JobOutcome.Succeeded));
            await store.AddRunAsync(runs.Item1, default);
            await store.AddRunAsync(runs.Item2, default);
            await store.AddRunAsync(runs.Item3, default);
            added.Add((job, runs.Item1, runs.Item2, runs.Item3));
        }

        for (var i = 0; i < added.Count; i++)
        {
            var (job, first, second, third) = added[i];
            var neighbour = added[(i + 1) % added.Count].Third;
            Assert.Equal(
                [new RunPredecessor(true, JobOutcome.Failed), new RunPredecessor(true, JobOutcome.Succeeded), new RunPredecessor(true, null), default],
                await store.GetPredecessorsAsync(job, [third.RunId, second.RunId, first.RunId, neighbour.RunId], default));
        }
    }
}
