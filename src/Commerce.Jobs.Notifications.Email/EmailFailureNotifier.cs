using Commerce.Jobs.Storage;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Commerce.Jobs.Notifications.Email;

/// <summary>
/// The e-mail failure notifier: a failed run, a recovery and an unhealthy target each become an e-mail to the
/// administrators, throttled per job (and per target) by <see cref="EmailThrottle"/>; a send that fails is retried three
/// times (after 1 s, 5 s and 30 s on the <see cref="TimeProvider"/>), then given up with a log line. It is called from the
/// engine's notification queue, so none of this ever holds a run.
/// </summary>
internal sealed class EmailFailureNotifier : IJobFailureNotifier, IDisposable
{
    private readonly EmailNotifierOptions _options;
    private readonly EmailComposer _composer;
    private readonly SmtpMailSender _sender;
    private readonly EmailThrottle _throttle;
    private readonly IRecordStore? _records;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public EmailFailureNotifier(EmailNotifierOptions options, IOperatorStateStore throttleStore, IRecordStore? records, TimeProvider time, ILogger<EmailFailureNotifier> logger)
    {
        _options = options;
        _composer = new EmailComposer(options);
        _sender = new SmtpMailSender(options, logger);
        _throttle = new EmailThrottle(throttleStore, time, options.ThrottlePeriod, logger);
        _records = records;
        _time = time;
        _logger = logger;
    }

    public void Dispose() => _throttle.Dispose();

    public async ValueTask NotifyAsync(JobFailure failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (failure.Run.Outcome != JobOutcome.Failed)
        {
            return;   // a job that notifies on every run: only its failures are mailed
        }

        var subject = "job:" + failure.JobName;
        var decision = await _throttle.FailedAsync(subject, cancellationToken).ConfigureAwait(false);
        if (!decision.Send)
        {
            EmailNotifierLog.Throttled(_logger, MailText.Line(subject), decision.Suppressed);
            return;
        }

        var records = await FailedRecordsAsync(failure.Run, cancellationToken).ConfigureAwait(false);
        if (!await SendAsync(_composer.Failure(failure, records, decision), cancellationToken).ConfigureAwait(false))
        {
            await _throttle.FailureNotSentAsync(subject, decision, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask NotifyRecoveredAsync(JobRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var subject = "job:" + run.JobName;
        var decision = await _throttle.RecoveredAsync(subject, cancellationToken).ConfigureAwait(false);
        if (decision.Send && !await SendAsync(_composer.Recovered(run, decision), cancellationToken).ConfigureAwait(false))
        {
            await _throttle.RecoveryNotSentAsync(subject, decision, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask NotifyTargetUnhealthyAsync(TargetHealth health, string hostName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(health);
        var subject = "target:" + health.TargetName;
        var decision = await _throttle.FailedAsync(subject, cancellationToken).ConfigureAwait(false);
        if (!decision.Send)
        {
            EmailNotifierLog.Throttled(_logger, MailText.Line(subject), decision.Suppressed);
            return;
        }

        if (!await SendAsync(_composer.TargetUnhealthy(health, hostName, _time.GetUtcNow(), decision), cancellationToken).ConfigureAwait(false))
        {
            await _throttle.FailureNotSentAsync(subject, decision, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The records this run failed (tried during it and not delivered), first by id, from the job store; none for a plain job.</summary>
    private async ValueTask<IReadOnlyList<RecordFailure>> FailedRecordsAsync(JobRun run, CancellationToken cancellationToken)
    {
        if (_records is null || _options.MaxFailedRecords == 0 || (run.Counts.Skipped + run.Counts.Failed) == 0)
        {
            return [];
        }

        var found = new List<RecordFailure>();
        try
        {
            string? after = null;
            var scanned = 0;
            while (found.Count < _options.MaxFailedRecords && scanned < EmailNotifierDefaults.MaxFailuresScanned)
            {
                var page = await _records.GetRecordFailuresAsync(run.JobName, after, 200, cancellationToken).ConfigureAwait(false);
                foreach (var failure in page)
                {
                    if (failure.LastAttemptAt >= run.StartedAt && failure.LastAttemptAt <= run.EndedAt && found.Count < _options.MaxFailedRecords)
                    {
                        found.Add(failure);
                    }
                }

                scanned += page.Count;
                if (page.Count < 200)
                {
                    break;
                }

                after = page[^1].RecordId;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            EmailNotifierLog.RecordsNotRead(_logger, MailText.Line(run.JobName), ex);
        }

        return found;
    }

    /// <summary>
    /// Sends, retrying a failed send after 1 s, 5 s and 30 s; gives up with a log line and answers <see langword="false"/>
    /// (never throws but for cancellation): the caller then undoes its throttle decision.
    /// </summary>
    private async Task<bool> SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var delays = EmailNotifierDefaults.RetryDelays;
        var attempts = delays.Length + 1;
        var host = _options.SmtpHost ?? string.Empty;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _sender.SendAsync(message, cancellationToken).ConfigureAwait(false);
                EmailNotifierLog.Sent(_logger, message.Subject ?? string.Empty, message.To.Count, host, _options.SmtpPort);
                return true;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt == attempts)
                {
                    EmailNotifierLog.GaveUp(_logger, message.Subject ?? string.Empty, host, _options.SmtpPort, attempts, ex);
                    return false;
                }

                // The retry timer is armed before the line is written: a test's fake clock may be advanced on it.
                var delay = delays[attempt - 1];
                var retry = Task.Delay(delay, _time, cancellationToken);
                EmailNotifierLog.SendFailed(_logger, message.Subject ?? string.Empty, host, _options.SmtpPort, attempt, attempts, delay, ex);
                await retry.ConfigureAwait(false);
            }
        }
    }
}
