using Commerce.Jobs.Storage;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Internal;

/// <summary>The audit trail's one write path: a change appended to the store's <see cref="IOperatorChangeLog"/>, a failure logged and never thrown.</summary>
internal static partial class OperatorChanges
{
    /// <summary>
    /// Appends <paramref name="change"/>; a store that fails is logged, so that the operator's change (already in force)
    /// never fails for its record. Not cancellable: the change was made, its record is written.
    /// </summary>
    public static async Task AppendAsync(IOperatorChangeLog log, OperatorChange change, ILogger logger)
    {
        try
        {
            await log.AppendChangeAsync(change, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            NotRecorded(logger, change.Kind, change.Name, change.Action, change.ChangedBy ?? "(unknown)", ex);
        }
    }

    /// <summary>The change from one effective definition to the next: each field whose value or source changed, old and new values.</summary>
    public static OperatorChange Between(string kind, string name, string action, DateTimeOffset changedAt, string? actor, EffectiveJobDefinition before, EffectiveJobDefinition after) =>
        new(kind, name, action, changedAt, actor,
        [
            .. before.Fields.Zip(after.Fields)
                .Where(f => f.First.Value != f.Second.Value || f.First.Source != f.Second.Source)
                .Select(f => new OperatorChangeValue(f.First.Name, f.First.Value, f.Second.Value)),
        ]);

    [LoggerMessage(70, LogLevel.Error, "The job store could not keep the audit record of {Kind} {Name} ({Action} by {Actor}); the change itself holds")]
    private static partial void NotRecorded(ILogger logger, string kind, string name, string action, string actor, Exception exception);
}
