using System.Collections.Concurrent;
using Commerce.Jobs.IntegrationTests.TestSupport;
using Commerce.Jobs.Testing;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>
/// Three hosts of one application in one process, each with its own PostgreSQL store (own data source and connections) on
/// one database, sharing one fake clock: scheduled occurrences run once across them, and a host killed mid-batch loses no record.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class MultiHostTests(PostgreSqlServer server) : IAsyncLifetime
{
    private const string Schema = "multi_host";

    /// <summary>
    /// Each host's armed timers when its background loops all wait on the clock: the scheduler's, and the one refresh of
    /// the operator state (job controls and entity-sync configurations).
    /// </summary>
    private const int TimersWhenIdle = 2;

    private static readonly DateTimeOffset Start = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("multi_host");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_pause_taken_on_one_host_reaches_the_others_and_no_host_runs_the_job_until_it_is_resumed()
    {
        var time = new FakeTimeProvider(Start);
        var runs = new ConcurrentQueue<string>();
        var hosts = new List<JobHost>();
        try
        {
            foreach (var name in new[] { "host-a", "host-b", "host-c" })
            {
                hosts.Add(await JobHost.StartAsync(name, time, _connectionString, "pause_everywhere", jobs => jobs
                    .AddJob("order-export", (_, _) =>
                    {
                        runs.Enqueue(name);
                        Progress.Pulse();
                        return ValueTask.FromResult(JobResult.Success);
                    })
                    .Schedule(Schedule.Every(TimeSpan.FromHours(6)))));
            }

            await IdleAsync(hosts);
            hosts[0].Control.Pause("order-export");
            await Progress.UntilAsync(() => hosts[0].ControlsWritten == 1, () => "the pause was not stored");
            await AdvanceUntilAsync(time, hosts, () => hosts.All(h => h.Monitor.GetStatus("order-export").State == JobState.Paused));
            Assert.True(time.GetUtcNow() - Start < TimeSpan.FromHours(6), "the pause should reach every host before the first fire");

            // Past two fires: once every host has had its say on both (claimed, or lost the claim), none has run the job.
            foreach (var step in new[] { TimeSpan.FromHours(6), TimeSpan.FromHours(6) })
            {
                var claims = hosts.Sum(h => h.Claims);
                time.Advance(step);
                await Progress.UntilAsync(
                    () => hosts.Sum(h => h.Claims) == claims + hosts.Count && IsIdle(hosts),
                    () => $"the hosts did not claim the fire: {hosts.Sum(h => h.Claims) - claims} claims; {DescribeTimers(hosts)}");
            }

            Assert.Empty(runs);

            // Resumed on another host: once every host knows, the next fire runs the job.
            hosts[1].Control.Resume("order-export");
            await Progress.UntilAsync(() => hosts[1].ControlsWritten == 1, () => "the resume was not stored");
            await AdvanceUntilAsync(time, hosts, () => hosts.All(h => h.Monitor.GetStatus("order-export").State != JobState.Paused));
            time.Advance(TimeSpan.FromHours(6));
            await Progress.UntilAsync(() => !runs.IsEmpty, () => "the resumed job did not run at its next fire");
            Assert.All(hosts, h => Assert.NotEqual(JobState.Paused, h.Monitor.GetStatus("order-export").State));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_definition_changed_on_one_host_is_in_force_on_all_a_restart_keeps_it_and_a_reset_reaches_all()
    {
        const string schema = "definitions_everywhere";
        var time = new FakeTimeProvider(Start);
        var hosts = new List<JobHost>();
        static void Configure(CommerceJobsBuilder jobs) => jobs
            .AddJob("order-export", static (_, _) => ValueTask.FromResult(JobResult.Success))
            .Schedule(Schedule.Every(TimeSpan.FromHours(6)));
        try
        {
            foreach (var name in new[] { "host-a", "host-b", "host-c" })
            {
                hosts.Add(await JobHost.StartAsync(name, time, _connectionString, schema, Configure));
            }

            await IdleAsync(hosts);
            await hosts[0].Definitions.UpdateAsync("order-export", new Dictionary<string, string?> { [JobDefinitionFields.BatchSize] = "500", [JobDefinitionFields.Interval] = "01:00:00" }, null, "alice", default);
            await AdvanceUntilAsync(time, hosts, () => hosts.All(h => h.Definitions.Get("order-export")[JobDefinitionFields.BatchSize].Value == "500"));
            Assert.All(hosts, h => Assert.Equal(JobDefinitionSource.Override, h.Definitions.Get("order-export")[JobDefinitionFields.Interval].Source));
            Assert.Single(hosts.Select(h => h.Definitions.Get("order-export").Version).Distinct());
            Assert.True(time.GetUtcNow() - Start < TimeSpan.FromMinutes(5), "the change should reach every host within a few refresh intervals");

            // A restarted host has it from the store before its first run.
            await hosts[2].DisposeAsync();
            hosts[2] = await JobHost.StartAsync("host-c", time, _connectionString, schema, Configure);
            Assert.Equal("500", hosts[2].Definitions.Get("order-export")[JobDefinitionFields.BatchSize].Value);

            // Reset to declared on another host: the code's values everywhere.
            await hosts[1].Definitions.ResetAsync("order-export", null, "bob", default);
            await AdvanceUntilAsync(time, hosts, () => hosts.All(h => h.Definitions.Get("order-export")[JobDefinitionFields.BatchSize].Value == "100"));
            Assert.All(hosts, h => Assert.DoesNotContain(h.Definitions.Get("order-export").Fields, f => f.Source == JobDefinitionSource.Override));
            await Progress.UntilAsync(
                () => hosts.All(h => h.Monitor.GetStatus("order-export").NextFireTime == Start.AddHours(6)),
                () => "the declared schedule is not planned again everywhere: " + string.Join(", ", hosts.Select(h => $"{h.Name}: {h.Monitor.GetStatus("order-export").NextFireTime:O}")));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_target_health_setting_changed_on_one_host_is_in_force_on_all_a_restart_keeps_it_and_a_reset_reaches_all()
    {
        const string schema = "target_definitions_everywhere";
        var time = new FakeTimeProvider(Start);
        var hosts = new List<JobHost>();
        static void Configure(CommerceJobsBuilder jobs) => jobs
            .AddTarget(new ErpTarget())
            .ConfigureTarget("erp", t => t.BreakDuration = TimeSpan.FromMinutes(1))
            .AddJob("order-export", static (_, _) => ValueTask.FromResult(JobResult.Success))   // a scheduled job: the hosts' idle timers as counted
            .Schedule(Schedule.Every(TimeSpan.FromHours(6)));
        string Value(JobHost host, string field) => host.Definitions.GetTarget("erp")[field].Value!;
        try
        {
            foreach (var name in new[] { "host-a", "host-b", "host-c" })
            {
                hosts.Add(await JobHost.StartAsync(name, time, _connectionString, schema, Configure));
            }

            await IdleAsync(hosts);
            await hosts[0].Definitions.UpdateTargetAsync("erp", new Dictionary<string, string?> { [TargetDefinitionFields.FailureRatio] = "0.5", [TargetDefinitionFields.BreakDuration] = "00:05:00" }, null, "alice", default);
            await AdvanceUntilAsync(time, hosts, () => hosts.All(h => Value(h, TargetDefinitionFields.FailureRatio) == "0.5"));
            Assert.All(hosts, h => Assert.Equal(JobDefinitionSource.Override, h.Definitions.GetTarget("erp")[TargetDefinitionFields.BreakDuration].Source));
            Assert.Single(hosts.Select(h => h.Definitions.GetTarget("erp").Version).Distinct());
            Assert.True(time.GetUtcNow() - Start < TimeSpan.FromMinutes(5), "the change should reach every host within a few refresh intervals");

            await hosts[2].DisposeAsync();
            hosts[2] = await JobHost.StartAsync("host-c", time, _connectionString, schema, Configure);
            Assert.Equal("00:05:00", Value(hosts[2], TargetDefinitionFields.BreakDuration));

            await hosts[1].Definitions.ResetTargetAsync("erp", null, "bob", default);
            await AdvanceUntilAsync(time, hosts, () => hosts.All(h => Value(h, TargetDefinitionFields.BreakDuration) == "00:01:00" && Value(h, TargetDefinitionFields.FailureRatio) == "0.1"));
            Assert.All(hosts, h => Assert.DoesNotContain(h.Definitions.GetTarget("erp").Fields, f => f.Source == JobDefinitionSource.Override));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    private sealed class ErpTarget : IDeliveryTarget
    {
        public string Name => "erp";

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);
    }

    /// <summary>
    /// Advances the shared clock in steps of the control refresh interval until <paramref name="condition"/> holds,
    /// each step once every host is idle (its refresh waits on an armed timer, so the step fires it).
    /// </summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, List<JobHost> hosts, Func<bool> condition)
    {
        for (var i = 0; ; i++)
        {
            await IdleAsync(hosts);
            if (condition())
            {
                return;
            }

            Assert.True(i < 100, "the hosts did not converge");
            time.Advance(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>
    /// Gets whether every host has dealt with each timer that fired (its scheduler has armed its timer for the next fire):
    /// advanced before then, the clock could leave a timer armed late (from a reading before the advance), and the fire
    /// it waits for would be missed.
    /// </summary>
    private static bool IsSettled(List<JobHost> hosts) => hosts.All(h => h.FiredTimers == 0);

    /// <summary>Gets whether every host's background loops (the control refresh too) wait on an armed timer, so that an advance fires them.</summary>
    private static bool IsIdle(List<JobHost> hosts) => IsSettled(hosts) && hosts.All(h => h.ArmedTimers == TimersWhenIdle);

    private static string DescribeTimers(List<JobHost> hosts)
        => "timers " + string.Join(", ", hosts.Select(h => $"{h.Name}: {h.ArmedTimers} armed, {h.FiredTimers} fired"));

    private static Task IdleAsync(List<JobHost> hosts) => Progress.UntilAsync(() => IsIdle(hosts), () => $"the hosts are not idle: {DescribeTimers(hosts)}");

    [Fact]
    public async Task Over_a_simulated_day_every_scheduled_occurrence_runs_once_across_three_hosts()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var jobs = new (string Name, Schedule Schedule, Func<DateTimeOffset, DateTimeOffset, IEnumerable<DateTimeOffset>> Occurrences)[]
        {
            ("every-15-minutes", Schedule.Every(TimeSpan.FromMinutes(15)), (from, to) => Every(TimeSpan.FromMinutes(15), from, to)),
            ("every-10-minutes", Schedule.Every(TimeSpan.FromMinutes(10)), (from, to) => Every(TimeSpan.FromMinutes(10), from, to)),
            ("nightly-berlin", Schedule.DailyAt(new TimeOnly(2, 0), berlin), (from, to) => Daily(new TimeOnly(2, 0), berlin, from, to)),
            ("report-new-york", Schedule.DailyAt(new TimeOnly(13, 37), newYork), (from, to) => Daily(new TimeOnly(13, 37), newYork, from, to)),
        };
        var time = new FakeTimeProvider(Start);
        var runs = new ConcurrentQueue<(string Job, string Host, DateTimeOffset At)>();
        void Configure(CommerceJobsBuilder builder, string host)
        {
            foreach (var job in jobs)
            {
                builder.AddJob(job.Name, (context, _) =>
                {
                    runs.Enqueue((context.JobName, host, context.TimeProvider.GetUtcNow()));
                    Progress.Pulse();
                    return ValueTask.FromResult(JobResult.Success);
                }).Schedule(job.Schedule);
            }
        }

        var hosts = new List<JobHost>();
        try
        {
            foreach (var name in new[] { "host-a", "host-b", "host-c" })
            {
                hosts.Add(await JobHost.StartAsync(name, time, _connectionString, Schema, jobs => Configure(jobs, name)));
            }

            // Steps of 7 minutes: shorter than every interval, so a step holds at most one occurrence of a job, and most
            // occurrences fall inside a step (each host's timer fires late, as a busy host's would).
            var step = TimeSpan.FromMinutes(7);
            var end = Start.AddDays(1);
            var occurrences = new List<(string Job, DateTimeOffset Occurrence, string Host)>();
            for (var now = Start; now < end;)
            {
                var next = now + step < end ? now + step : end;
                var due = jobs.SelectMany(j => j.Occurrences(now, next).Select(o => (j.Name, Occurrence: o))).ToList();
                var claimsBefore = hosts.Sum(h => h.Claims);
                var runsBefore = runs.Count;
                time.Advance(next - now);
                now = next;

                // Every host has tried to claim every due occurrence, the winners' runs have finished and are recorded (in the
                // order they ran), and every host's scheduler has armed its timer for the next fire.
                await Progress.UntilAsync(
                    () => hosts.Sum(h => h.Claims) == claimsBefore + (hosts.Count * due.Count) && runs.Count >= runsBefore + due.Count
                        && hosts.Sum(h => h.Recorded) == runs.Count && IsSettled(hosts),
                    () => $"at {now:HH:mm}, {due.Count} occurrences due: {hosts.Sum(h => h.Claims) - claimsBefore} claims, {runs.Count - runsBefore} runs, "
                        + $"{hosts.Sum(h => h.Recorded) - runsBefore} recorded; {DescribeTimers(hosts)}");
                var ran = runs.Skip(runsBefore).ToList();
                Assert.Equal(due.Select(d => d.Name).Order(), ran.Select(r => r.Job).Order());
                Assert.All(ran, r => Assert.Equal(now, r.At));
                occurrences.AddRange(due.Select(d => (d.Name, d.Occurrence, ran.Single(r => r.Job == d.Name).Host)));
            }

            // None twice, none missed: one run per (job, occurrence), and exactly as many claims won.
            Assert.Equal(96 + 144 + 1 + 1, occurrences.Count);
            Assert.Equal(occurrences.Count, occurrences.Select(o => (o.Job, o.Occurrence)).Distinct().Count());
            Assert.Equal(occurrences.Count, runs.Count);
            Assert.Equal(occurrences.Count, hosts.Sum(h => h.Wins));
            Assert.Equal(hosts.Count * occurrences.Count, hosts.Sum(h => h.Claims));
            Assert.Contains(occurrences, o => o.Job == "nightly-berlin" && o.Occurrence == new DateTimeOffset(2026, 11, 23, 1, 0, 0, TimeSpan.Zero));
            Assert.Contains(occurrences, o => o.Job == "report-new-york" && o.Occurrence == new DateTimeOffset(2026, 11, 23, 18, 37, 0, TimeSpan.Zero));

            // The shared history holds the latest runs, whichever host ran them (the engine keeps 50 per job).
            foreach (var job in jobs)
            {
                var latest = occurrences.Where(o => o.Job == job.Name).OrderByDescending(o => o.Occurrence).Take(10).Select(o => o.Host).ToList();
                await Wait.UntilAsync(
                    async () => (await hosts[0].Store.GetRunsAsync(job.Name, 10, default)).Select(r => r.HostName).SequenceEqual(latest),
                    () => $"{job.Name}: the latest runs in the shared history");
            }
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_host_killed_mid_batch_loses_no_record_its_leases_expire_and_the_others_deliver_them()
    {
        const string Job = "order-submit";
        const int Records = 600;
        var lease = TimeSpan.FromSeconds(30);
        var time = new FakeTimeProvider(Start);
        var delivered = new ConcurrentDictionary<string, ConcurrentQueue<string>>();
        var victimBlocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var victimNeverAnswers = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var victimCalls = 0;

        DelegateTarget<Order> Target(string host) => new(async (batch, _) =>
        {
            // The victim delivers its first batch, then dies in the middle of its second: the call never returns.
            if (host == "host-a" && Interlocked.Increment(ref victimCalls) == 2)
            {
                victimBlocked.TrySetResult();
                await victimNeverAnswers.Task;
            }

            for (var i = 0; i < batch.Count; i++)
            {
                delivered.GetOrAdd(batch.GetRecordId(i), _ => new()).Enqueue(host);
            }

            return DeliveryResult.Delivered;
        });

        var hosts = new List<JobHost>();
        try
        {
            foreach (var name in new[] { "host-a", "host-b", "host-c" })
            {
                hosts.Add(await JobHost.StartAsync(
                    name,
                    time,
                    _connectionString,
                    Schema,
                    jobs => jobs.AddRecordJob<Order>(Job).ReadFromInbox().DeliverTo(Target(name)).Batch(size: 50).Schedule(Schedule.Automatic(cleanupRunsPerDay: 0))
                        .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(10)),
                    options => options.LeaseDuration = lease));
            }

            var (victim, survivors) = (hosts[0], hosts.Skip(1).ToList());
            await victim.Inbox.OfferAsync(Job, Enumerable.Range(1, Records).Select(i => new Order($"SO{i:D4}")), CancellationToken.None);
            await victimBlocked.Task.WaitAsync(Wait.Patience);

            // The survivors take everything the victim does not hold under its lease, and nothing it holds.
            foreach (var host in survivors)
            {
                host.Trigger.Signal(Job);
            }

            var held = new List<string>();
            await Wait.UntilAsync(
                async () =>
                {
                    held = await QueryAsync<string>($"SELECT record_id FROM {Schema}.inbox WHERE owner LIKE 'host-a:%'");
                    var pending = await survivors[0].Store.CountPendingRecordsAsync(Job, default);
                    return held.Count > 0 && delivered.Count + held.Count == Records && pending == held.Count;
                },
                () => $"{delivered.Count} delivered, {held.Count} held by the victim");
            Assert.DoesNotContain(held, delivered.ContainsKey);

            // The victim's leases expire; signalled again, the survivors take its records over.
            time.Advance(lease + TimeSpan.FromSeconds(1));
            foreach (var host in survivors)
            {
                host.Trigger.Signal(Job);
            }

            await Wait.UntilAsync(
                async () => delivered.Count == Records && await survivors[0].Store.CountPendingRecordsAsync(Job, default) == 0,
                () => $"{delivered.Count} of {Records} delivered");
            Assert.All(delivered, d => Assert.Single(d.Value));
            Assert.All(held, id => Assert.NotEqual("host-a", Assert.Single(delivered[id])));
            Assert.Empty(await survivors[0].Store.ReadAllRecordFailuresAsync(Job));
        }
        finally
        {
            // Only now does the dead host's call return (cancelled); its late skip is ignored, as it no longer holds the records.
            victimNeverAnswers.TrySetCanceled();
            foreach (var host in hosts)
            {
                await (host.Name == "host-a" ? host.AbandonAsync() : host.DisposeAsync());
            }
        }
    }

    private static IEnumerable<DateTimeOffset> Every(TimeSpan interval, DateTimeOffset after, DateTimeOffset upTo)
    {
        var ticks = interval.Ticks;
        var anchor = DateTimeOffset.UnixEpoch.UtcTicks;
        for (var t = anchor + ((((after.UtcTicks - anchor) / ticks) + 1) * ticks); t <= upTo.UtcTicks; t += ticks)
        {
            yield return new DateTimeOffset(t, TimeSpan.Zero);
        }
    }

    private static IEnumerable<DateTimeOffset> Daily(TimeOnly at, TimeZoneInfo zone, DateTimeOffset after, DateTimeOffset upTo)
    {
        for (var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(after, zone).DateTime).AddDays(-1); ; day = day.AddDays(1))
        {
            var occurrence = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(at), zone));
            if (occurrence > upTo)
            {
                yield break;
            }

            if (occurrence > after)
            {
                yield return occurrence;
            }
        }
    }

    private async Task<List<T>> QueryAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }
}
