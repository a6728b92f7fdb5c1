using Commerce.Jobs.Internal;
using System.Net.Sockets;
using Azure.Messaging.EventHubs;

namespace Commerce.Jobs.Adapters.EventHubs;

/// <summary>Mapping the client's exceptions to outcomes: what no retry can fix is permanent, every other service failure transient.</summary>
internal sealed partial class EventHubsTarget
{

    /// <summary>Whether an exception is the service's or the network's answer (mapped to an outcome), rather than a bug (thrown on).</summary>
    internal static bool IsServiceFailure(Exception exception) => exception is EventHubsException or UnauthorizedAccessException
        or TimeoutException or OperationCanceledException or IOException or SocketException or ObjectDisposedException
        || CredentialFailureOf(exception) is not null;

    /// <summary>The failure of the credential to give a token behind an exception (the client may wrap it), or <see langword="null"/>.</summary>
    private static CredentialFailedException? CredentialFailureOf(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is CredentialFailedException failed)
            {
                return failed;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a credential's failure is one no retry fixes: Azure.Identity's <c>CredentialUnavailableException</c> (the
    /// credential cannot work in this environment) or <c>AuthenticationRequiredException</c> (it needs a person to sign in).
    /// Matched by name, so that the package needs no reference to Azure.Identity.
    /// </summary>
    private static bool IsCredentialUnavailable(Exception exception)
    {
        for (var type = exception.GetType(); type is not null; type = type.BaseType)
        {
            if (type.Name is "CredentialUnavailableException" or "AuthenticationRequiredException")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the service refused a batch because it is larger than the link allows.</summary>
    internal static bool IsTooLarge(Exception exception) => exception is EventHubsException { Reason: EventHubsException.FailureReason.MessageSizeExceeded };

    /// <summary>
    /// Maps a failure to send (or to open the link): permanent for no authorisation, a missing namespace or event hub, a
    /// message too large and a credential that is unavailable; transient for everything else — a credential that failed otherwise — <see cref="EventHubsException.IsTransient"/>, a busy service or an
    /// exceeded quota (with the fixed hint <see cref="EventHubsTargetDefaults.ServerBusyRetryAfter"/>), timeouts, network
    /// errors, a closed client. Messages are quoted redacted, first line only.
    /// </summary>
    internal RecordOutcome Classify(Exception exception, int events, out TimeSpan? retryAfter)
    {
        retryAfter = null;
        var what = events > 0
            ? $"Event Hubs target '{Name}': a batch of {events} event(s) was not sent to event hub '{_hub}'"
            : $"Event Hubs target '{Name}': no batch could be created for event hub '{_hub}'";
        if (CredentialFailureOf(exception)?.InnerException is { } cause)
        {
            return IsCredentialUnavailable(cause)
                ? RecordOutcome.Permanent($"{what}: the credential gave no token (unavailable): {MessageOf(cause)}")
                : RecordOutcome.Transient($"{what}: the credential gave no token: {cause.GetType().Name}: {MessageOf(cause)}");
        }

        switch (exception)
        {
            case UnauthorizedAccessException:
                return RecordOutcome.Permanent($"{what}: not authorised (the key or identity needs the Send right): {MessageOf(exception)}");
            case EventHubsException { Reason: EventHubsException.FailureReason.ResourceNotFound }:
                return RecordOutcome.Permanent($"{what}: the namespace or the event hub was not found: {MessageOf(exception)}");
            case EventHubsException { Reason: EventHubsException.FailureReason.MessageSizeExceeded }:
                return RecordOutcome.Permanent($"{what}: too large: {MessageOf(exception)}");
            case EventHubsException { Reason: EventHubsException.FailureReason.ServiceBusy or EventHubsException.FailureReason.QuotaExceeded } busy:
                retryAfter = EventHubsTargetDefaults.ServerBusyRetryAfter;
                return RecordOutcome.Transient($"{what}: {busy.Reason}: {MessageOf(exception)}");
            case EventHubsException other:
                return RecordOutcome.Transient($"{what}: {other.Reason}{(other.IsTransient ? string.Empty : " (not transient by the client, but not the records' fault)")}: {MessageOf(exception)}");
            case TimeoutException or OperationCanceledException:
                return RecordOutcome.Transient($"{what}: timed out: {MessageOf(exception)}");
            default:
                return RecordOutcome.Transient($"{what}: {exception.GetType().Name}: {MessageOf(exception)}");
        }
    }

    /// <summary>An exception's message as an outcome quotes it: the secrets removed from the whole message first, then its first line, cut.</summary>
    private string MessageOf(Exception exception) => ErrorText.Quote(exception.Message, _secrets);
}
