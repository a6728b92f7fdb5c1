using System.Threading.Channels;
using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.History;

/// <summary>
/// The one way to the failure notifiers (<see cref="IJobFailureNotifier"/>): runs and delivery targets post a notice
/// here and go on; a single reader, started and stopped with the engine, tells every notifier in turn, in the order
/// posted. A run never waits for a notifier (a slow mail server, a notifier that hangs): posting never blocks, and a
/// notice that finds the queue full (<see cref="Capacity"/>) or closed is dropped with a log line.
/// </summary>
/// <remarks>
/// The engine drains the queue when it stops, within its shutdown bound; past that the notifiers' token is cancelled
/// and what is left is not awaited. What a notifier throws is logged; the queue does not retry (a notifier that
/// should, such as the e-mail notifier, retries itself on its token).
/// </remarks>
internal sealed class NotificationQueue : IDisposable
{
    /// <summary>How many notices may wait for the notifiers; more are dropped (logged).</summary>
    internal const int Capacity = 1024;

    /// <summary>The most notices taken from the queue at once (a burst), whose successes are checked with one history read per job.</summary>
    internal const int MaxBurst = 256;

    private readonly Channel<Notice> _notices = Channel.CreateBounded<Notice>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,   // TryWrite answers false when full: the notice is dropped and logged, never waited for
        SingleReader = true,
        SingleWriter = false,
    });

    private readonly IJobFailureNotifier[] _notifiers;
    private readonly IRunHistoryStore _history;
    private readonly IOptions<CommerceJobsOptions> _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abandon = new();
    private readonly List<int> _checking = new(MaxBurst);  // the reader's: indexes of a burst's successes being checked
    private Task _reader = Task.CompletedTask;
    private int _started;
    private int _completed;

    public NotificationQueue(IEnumerable<IJobFailureNotifier> notifiers, IRunHistoryStore history, IOptions<CommerceJobsOptions> options, ILogger<NotificationQueue> logger)
    {
        _notifiers = [.. notifiers];
        _history = history;
        _options = options;
        _logger = logger;
    }

    private enum NoticeKind
    {
        Run,
        Recovered,
        Succeeded,
        TargetUnhealthy,
        Flush,
    }

    /// <summary>Gets the reader: it completes once <see cref="Complete"/> was called and every notice posted before was handled.</summary>
    public Task Completion => _reader;

    /// <summary>Gets the number of notices waiting.</summary>
    public int Count => _notices.Reader.Count;

    /// <summary>Starts the reader (once; later calls do nothing).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _reader = Task.Run(ReadAsync);
        }
    }

    /// <summary>Posts a run to tell the notifiers about (<see cref="IJobFailureNotifier.NotifyAsync"/>): a failed run, or any run of a job that notifies on every run.</summary>
    public void PostRun(JobRun run) => Post(new Notice(NoticeKind.Run, run, null, null));

    /// <summary>Posts a job's recovery (<see cref="IJobFailureNotifier.NotifyRecoveredAsync"/>).</summary>
    public void PostRecovered(JobRun run) => Post(new Notice(NoticeKind.Recovered, run, null, null));

    /// <summary>
    /// Posts a run that succeeded (or partially) and that this host did not see follow a failure: told as a recovery when
    /// the job's previous recorded run failed (the history is shared by every host on one store), read here, off the run.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="written">The run's history write: awaited (on the notifiers' token) before the history is read.</param>
    public void PostSucceeded(JobRun run, Task? written = null) => Post(new Notice(NoticeKind.Succeeded, run, null, null) { Written = written });

    /// <summary>Posts a target that became unhealthy (<see cref="IJobFailureNotifier.NotifyTargetUnhealthyAsync"/>).</summary>
    public void PostTargetUnhealthy(TargetHealth health) => Post(new Notice(NoticeKind.TargetUnhealthy, null, health, null));

    /// <summary>Completes once every notice posted before this call was handled (tests wait on it instead of sleeping).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _notices.Writer.WriteAsync(new Notice(NoticeKind.Flush, null, null, flushed), cancellationToken).ConfigureAwait(false);
        await flushed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gets whether <see cref="Complete"/> was called.</summary>
    public bool IsCompleted => Volatile.Read(ref _completed) == 1;

    /// <summary>Takes no more notices; the reader ends once it has handled those already posted.</summary>
    public void Complete()
    {
        Volatile.Write(ref _completed, 1);
        _notices.Writer.TryComplete();
    }

    /// <summary>Cancels the notifiers' token: a notifier still sending (or waiting to retry) gives up; the reader is not awaited any further.</summary>
    public Task AbandonAsync() => _abandon.CancelAsync();

    public void Dispose() => _abandon.Dispose();

    private void Post(Notice notice)
    {
        if (!_notices.Writer.TryWrite(notice))
        {
            Log.NotificationDropped(_logger, notice.Subject, Capacity);
        }
    }

    private async Task ReadAsync()
    {
        var token = _abandon.Token;
        var reader = _notices.Reader;
        var burst = new List<Notice>(MaxBurst);
        var recovered = new HashSet<Guid>();
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            // What is queued at this moment, bounded: every notice is handled in the order posted; at a success not checked
            // yet, it and the successes after it whose history writes are done are checked with one read per job (a notice
            // is never held up by a later run's history write).
            while (burst.Count < MaxBurst && reader.TryRead(out var posted))
            {
                burst.Add(posted);
            }

            var checkedTo = -1;
            for (var i = 0; i < burst.Count; i++)
            {
                var notice = burst[i];
                if (notice.Flushed is { } flushed)
                {
                    flushed.TrySetResult();
                    continue;
                }

                if (notice.Kind == NoticeKind.Succeeded)
                {
                    if (i > checkedTo)
                    {
                        checkedTo = await CheckRecoveriesAsync(burst, i, recovered, token).ConfigureAwait(false);
                    }

                    if (!recovered.Contains(notice.Run!.RunId))
                    {
                        continue;
                    }

                    notice = notice with { Kind = NoticeKind.Recovered };
                }

                foreach (var notifier in _notifiers)
                {
                    try
                    {
                        await SendAsync(notifier, notice, token).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        try
                        {
                            Log.NotifierFailed(_logger, notifier.GetType().Name, notice.Subject, notice.Run?.RunId ?? Guid.Empty, ex);
                        }
                        catch (Exception)
                        {
                            // A logger that throws must not end the reader.
                        }
                    }
                }
            }

            burst.Clear();
            recovered.Clear();
        }
    }

    /// <summary>
    /// Finds which successes of a burst follow a failure in the history (<paramref name="recovered"/>: their run ids), with
    /// one read per job (<see cref="IRunHistoryStore.GetPredecessorsAsync"/>): the success at <paramref name="start"/> once
    /// its history write is done, and with it the successes after it whose writes are already done, up to the first whose
    /// write is still under way or a flush. A run the history cannot tell about (unread, or not found) counts as one: it
    /// is told anyway, the notifiers decide.
    /// </summary>
    /// <returns>The index of the last notice covered: a success after it gets a check of its own.</returns>
    private async ValueTask<int> CheckRecoveriesAsync(List<Notice> burst, int start, HashSet<Guid> recovered, CancellationToken token)
    {
        await (burst[start].Written ?? Task.CompletedTask).WaitAsync(token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var checking = _checking;  // the reader's own, reused: a check allocates nothing but the ids it asks about
        checking.Clear();
        var last = start;
        for (var i = start; i < burst.Count; i++)
        {
            var notice = burst[i];
            if (notice.Kind == NoticeKind.Flush || (i > start && notice.Kind == NoticeKind.Succeeded && notice.Written is { IsCompleted: false }))
            {
                break;
            }

            last = i;
            if (notice.Kind == NoticeKind.Succeeded)
            {
                checking.Add(i);
            }
        }

        // One read per job: the first success not asked about yet names the job; its runs are asked about in the order posted.
        for (var first = 0; first < checking.Count; first++)
        {
            if (checking[first] < 0)
            {
                continue;
            }

            var job = burst[checking[first]].Run!.JobName;
            var count = 0;
            for (var k = first; k < checking.Count; k++)
            {
                count += checking[k] >= 0 && string.Equals(burst[checking[k]].Run!.JobName, job, StringComparison.Ordinal) ? 1 : 0;
            }

            var runIds = new Guid[count];
            for (int k = first, j = 0; k < checking.Count; k++)
            {
                if (checking[k] >= 0 && string.Equals(burst[checking[k]].Run!.JobName, job, StringComparison.Ordinal))
                {
                    runIds[j++] = burst[checking[k]].Run!.RunId;
                    checking[k] = -1;  // asked about
                }
            }

            await CheckJobAsync(job, runIds, recovered, token).ConfigureAwait(false);
        }

        return last;
    }

    /// <summary>Asks the history about one job's successes; adds those that follow a failure (or that it cannot tell about) to <paramref name="recovered"/>.</summary>
    private async ValueTask CheckJobAsync(string job, Guid[] runIds, HashSet<Guid> recovered, CancellationToken token)
    {
        try
        {
            // The run and the outcome before it, per run, no logs read (a store answers it from its runs index).
            var predecessors = await _history.GetPredecessorsAsync(job, runIds, token).ConfigureAwait(false);
            for (var i = 0; i < runIds.Length; i++)
            {
                if (i >= predecessors.Count || !predecessors[i].Found || predecessors[i].Outcome == JobOutcome.Failed)
                {
                    recovered.Add(runIds[i]);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Abandoned: nothing more is told.
        }
        catch (Exception ex)
        {
            try
            {
                Log.NotifierFailed(_logger, nameof(IRunHistoryStore), job, runIds[0], ex);
            }
            catch (Exception)
            {
                // A logger that throws must not end the reader.
            }

            recovered.UnionWith(runIds);
        }
    }

    private ValueTask SendAsync(IJobFailureNotifier notifier, Notice notice, CancellationToken cancellationToken)
    {
        switch (notice.Kind)
        {
            case NoticeKind.Run:
                var run = notice.Run!;
                return notifier.NotifyAsync(new JobFailure(run.JobName, run.HostName, run.EndedAt, run.Error, run), cancellationToken);
            case NoticeKind.Recovered:
                return notifier.NotifyRecoveredAsync(notice.Run!, cancellationToken);
            default:
                return notifier.NotifyTargetUnhealthyAsync(notice.Health!, _options.Value.HostName, cancellationToken);
        }
    }

    private readonly record struct Notice(NoticeKind Kind, JobRun? Run, TargetHealth? Health, TaskCompletionSource? Flushed)
    {
        /// <summary>Gets the run's history write, which a recovery check awaits before it reads the history.</summary>
        public Task? Written { get; init; }

        public string Subject => Run?.JobName ?? Health?.TargetName ?? string.Empty;
    }
}
