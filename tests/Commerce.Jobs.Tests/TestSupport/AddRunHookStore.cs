using System.Reflection;
using System.Runtime.ExceptionServices;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>
/// A job store that forwards every member to another one, except <see cref="IJobStore.AddRunAsync"/>, which it hands to a
/// hook with the inner store's write (a store whose commits the test completes in its own order, or never, or that fails).
/// </summary>
public class AddRunHookStore : DispatchProxy
{
    private IJobStore _inner = null!;
    private Func<JobRun, Func<ValueTask>, ValueTask> _addRun = null!;

    /// <summary>Creates the store.</summary>
    /// <param name="inner">The store forwarded to.</param>
    /// <param name="addRun">Called for every run written, with the inner store's write (called or not, as the test wants).</param>
    internal static IJobStore Create(IJobStore inner, Func<JobRun, Func<ValueTask>, ValueTask> addRun)
    {
        var proxy = Create<IJobStore, AddRunHookStore>();
        var self = (AddRunHookStore)(object)proxy;
        self._inner = inner;
        self._addRun = addRun;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var method = targetMethod!;
        if (method.Name == nameof(IJobStore.AddRunAsync))
        {
            var run = (JobRun)args![0]!;
            var token = (CancellationToken)args[1]!;
            // The proxy returns the member's ValueTask boxed: the engine awaits it once.
#pragma warning disable CA2012
            return _addRun(run, () => _inner.AddRunAsync(run, token));
#pragma warning restore CA2012
        }

        try
        {
            return method.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }
}
