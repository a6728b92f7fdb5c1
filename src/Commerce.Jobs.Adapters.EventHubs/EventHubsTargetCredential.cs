using Azure.Core;

namespace Commerce.Jobs.Adapters.EventHubs;

/// <summary>
/// The host's credential as the client sees it: a failure to obtain a token is thrown on wrapped in a
/// <see cref="CredentialFailedException"/>, so that the target maps it to an outcome like the service's failures (see
/// <c>EventHubsTarget.Errors.cs</c>) instead of throwing it to the engine. A cancellation the caller asked for passes unwrapped.
/// </summary>
/// <param name="credential">The host's credential.</param>
internal sealed class EventHubsTargetCredential(TokenCredential credential) : TokenCredential
{
    /// <inheritdoc />
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        try
        {
            return credential.GetToken(requestContext, cancellationToken);
        }
        catch (Exception ex) when (IsCredentialFailure(ex, cancellationToken))
        {
            throw new CredentialFailedException(ex);
        }
    }

    /// <inheritdoc />
    public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        try
        {
            return await credential.GetTokenAsync(requestContext, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsCredentialFailure(ex, cancellationToken))
        {
            throw new CredentialFailedException(ex);
        }
    }

    private static bool IsCredentialFailure(Exception exception, CancellationToken cancellationToken)
        => !(exception is OperationCanceledException && cancellationToken.IsCancellationRequested) && exception is not CredentialFailedException;
}

/// <summary>The credential given to the target did not give a token; the inner exception is what it threw.</summary>
/// <param name="inner">What the credential threw.</param>
internal sealed class CredentialFailedException(Exception inner) : Exception(inner.Message, inner);
