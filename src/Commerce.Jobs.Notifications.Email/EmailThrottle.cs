using System.Collections.Concurrent;
using System.Globalization;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Notifications.Email;

/// <summary>What the throttle decided about one notice: send it or not, and what it held back since the last e-mail.</summary>
/// <param name="Send">Whether to send the e-mail now.</param>
/// <param name="Suppressed">How many notices were held back since the last e-mail (to summarise in this one).</param>
/// <param name="SuppressedSince">When the first of them came.</param>
/// <param name="Previous">The state before the decision (to undo it when the e-mail could not be sent).</param>
/// <param name="At">When it was decided.</param>
internal readonly record struct ThrottleDecision(bool Send, int Suppressed, DateTimeOffset? SuppressedSince, ThrottleState? Previous = null, DateTimeOffset At = default);

/// <summary>One subject's throttle state (a job's, a target's), as kept in the operator-state plane.</summary>
internal sealed record ThrottleState(DateTimeOffset? LastSent, int Suppressed, DateTimeOffset? SuppressedSince, bool Failing, DateTimeOffset? ChangedAt)
{
    public static readonly ThrottleState Empty = new(null, 0, null, false, null);

    /// <summary>A failure: mailed when the last e-mail is at least <paramref name="period"/> old (or there was none), else counted.</summary>
    public (ThrottleState Next, ThrottleDecision Decision) OnFailure(DateTimeOffset now, TimeSpan period)
    {
        if (LastSent is not { } sent || now - sent >= period)
        {
            return (this with { LastSent = now, Suppressed = 0, SuppressedSince = null, Failing = true }, new(true, Suppressed, SuppressedSince));
        }

        return (this with { Suppressed = Suppressed + 1, SuppressedSince = SuppressedSince ?? now, Failing = true }, new(false, Suppressed + 1, SuppressedSince ?? now));
    }

    /// <summary>A recovery: mailed once after failures (whichever host mailed them), with what was held back since.</summary>
    public (ThrottleState Next, ThrottleDecision Decision) OnRecovery() => Failing
        ? (this with { Suppressed = 0, SuppressedSince = null, Failing = false }, new(true, Suppressed, SuppressedSince))
        : (this, new(false, 0, null));

    /// <summary>
    /// A failure e-mail that was given up: the period is not charged (the previous last-sent comes back, unless another
    /// e-mail was sent since) and the notice counts as held back, with those it would have summarised.
    /// </summary>
    public ThrottleState OnFailureNotSent(ThrottleDecision decision) => this with
    {
        LastSent = LastSent == decision.At ? decision.Previous?.LastSent : LastSent,
        Suppressed = Suppressed + (decision.Previous?.Suppressed ?? 0) + 1,
        SuppressedSince = Earliest(Earliest(SuppressedSince, decision.Previous?.SuppressedSince), decision.At),
    };

    /// <summary>A recovery e-mail that was given up: the subject is failing again (so the next recovery is mailed), with what it held back.</summary>
    public ThrottleState OnRecoveryNotSent(ThrottleDecision decision) => this with
    {
        Failing = true,
        Suppressed = Suppressed + (decision.Previous?.Suppressed ?? 0),
        SuppressedSince = Earliest(SuppressedSince, decision.Previous?.SuppressedSince),
    };

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is { } x && b is { } y ? (x < y ? x : y) : a ?? b;
}

/// <summary>
/// At most one failure e-mail per subject (job, target) per period: the state lives in the operator-state plane
/// (<see cref="OperatorStateKinds.NotificationThrottle"/>, entries <c>email/job:{name}</c> and <c>email/target:{name}</c>),
/// so hosts that share a store share the throttle; the in-memory store keeps it per host. When the store cannot be read or
/// written, the host's own copy holds (logged), so a store outage never turns into a flood.
/// </summary>
/// <remarks>
/// Read, decide, write: two hosts deciding at the same instant may both send (and a count may be lost); the next
/// decision sees the newest write. Field times only move forward (a microsecond past the stored one at least), so a
/// write is never lost to a tie in the store's "newest change wins" rule, even on a clock that stands still.
/// </remarks>
internal sealed class EmailThrottle(IOperatorStateStore store, TimeProvider time, TimeSpan period, ILogger logger) : IDisposable
{
    private const string LastSentField = "last-sent";
    private const string SuppressedField = "suppressed";
    private const string SuppressedSinceField = "suppressed-since";
    private const string FailingField = "failing";

    private readonly ConcurrentDictionary<string, ThrottleState> _local = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public ValueTask<ThrottleDecision> FailedAsync(string subject, CancellationToken cancellationToken)
        => DecideAsync(subject, (state, now) => state.OnFailure(now, period), cancellationToken);

    public ValueTask<ThrottleDecision> RecoveredAsync(string subject, CancellationToken cancellationToken)
        => DecideAsync(subject, static (state, _) => state.OnRecovery(), cancellationToken);

    /// <summary>Undoes a decision to send a failure e-mail that was given up (see <see cref="ThrottleState.OnFailureNotSent"/>).</summary>
    public ValueTask FailureNotSentAsync(string subject, ThrottleDecision decision, CancellationToken cancellationToken)
        => UndoAsync(subject, state => state.OnFailureNotSent(decision), cancellationToken);

    /// <summary>Undoes a decision to send a recovery e-mail that was given up (see <see cref="ThrottleState.OnRecoveryNotSent"/>).</summary>
    public ValueTask RecoveryNotSentAsync(string subject, ThrottleDecision decision, CancellationToken cancellationToken)
        => UndoAsync(subject, state => state.OnRecoveryNotSent(decision), cancellationToken);

    public void Dispose() => _gate.Dispose();

    internal static ThrottleState Parse(IReadOnlyList<OperatorStateField> fields)
    {
        DateTimeOffset? Time(string name) => Value(name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed) ? parsed : null;
        string? Value(string name) => fields.LastOrDefault(f => f.Name == name)?.Value;
        var changedAt = fields.Count == 0 ? (DateTimeOffset?)null : fields.Max(f => f.ChangedAt);
        return new ThrottleState(
            Time(LastSentField),
            int.TryParse(Value(SuppressedField), NumberStyles.None, CultureInfo.InvariantCulture, out var suppressed) ? suppressed : 0,
            Time(SuppressedSinceField),
            Value(FailingField) == "true",
            changedAt);
    }

    private async ValueTask<ThrottleDecision> DecideAsync(string subject, Func<ThrottleState, DateTimeOffset, (ThrottleState, ThrottleDecision)> decide, CancellationToken cancellationToken)
    {
        var name = EmailNotifierDefaults.ThrottlePrefix + subject;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            ThrottleState state;
            try
            {
                var entries = await store.GetAsync(OperatorStateKinds.NotificationThrottle, cancellationToken).ConfigureAwait(false);
                var entry = entries.FirstOrDefault(e => string.Equals(e?.Name, name, StringComparison.OrdinalIgnoreCase));
                state = entry?.Fields is { } fields ? Parse(fields) : ThrottleState.Empty;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                EmailNotifierLog.ThrottleNotRead(logger, subject, ex);
                state = _local.GetValueOrDefault(name, ThrottleState.Empty);
            }

            var (next, decision) = decide(state, now);
            decision = decision with { Previous = state, At = now };
            if (next == state)
            {
                return decision;
            }

            // Strictly newer than anything stored, so no field is lost to a tie.
            var stamp = state.ChangedAt is { } changed && changed.AddTicks(TimeSpan.TicksPerMicrosecond) > now ? changed.AddTicks(TimeSpan.TicksPerMicrosecond) : now;
            next = next with { ChangedAt = stamp };
            _local[name] = next;
            try
            {
                await store.SetAsync(OperatorStateKinds.NotificationThrottle, name, Fields(next, stamp), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                EmailNotifierLog.ThrottleNotSaved(logger, subject, ex);
            }

            return decision;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask UndoAsync(string subject, Func<ThrottleState, ThrottleState> undo, CancellationToken cancellationToken)
        => await DecideAsync(subject, (state, _) => (undo(state), default), cancellationToken).ConfigureAwait(false);

    private static OperatorStateField[] Fields(ThrottleState state, DateTimeOffset stamp) =>
    [
        new(LastSentField, state.LastSent?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture), stamp),
        new(SuppressedField, state.Suppressed.ToString(CultureInfo.InvariantCulture), stamp),
        new(SuppressedSinceField, state.SuppressedSince?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture), stamp),
        new(FailingField, state.Failing ? "true" : "false", stamp),
    ];
}
