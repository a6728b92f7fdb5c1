using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>
/// A job store that forwards every member to another one, and holds the calls of the members it is told to until the
/// test releases them, ignoring their token. Like a driver whose database is unreachable, a held call's cancellation
/// callback blocks too (a synchronous cancel request waiting for its connect timeout), until <see cref="Dispose"/>.
/// </summary>
public class HangingStore : DispatchProxy, IDisposable
{
    private static readonly MethodInfo HoldThenTMethod = typeof(HangingStore).GetMethod(nameof(HoldThenAsync), BindingFlags.NonPublic | BindingFlags.Instance)!;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _entered = new(StringComparer.Ordinal);
    private readonly ManualResetEventSlim _unblock = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, bool> _held = new(StringComparer.Ordinal);
    private IJobStore _inner = null!;

    /// <summary>Gets the store it forwards to (to change it as another host would, unheld).</summary>
    internal IJobStore Inner => _inner;

    internal static (IJobStore Store, HangingStore Hang) Create(IJobStore inner)
    {
        var proxy = Create<IJobStore, HangingStore>();
        var self = (HangingStore)(object)proxy;
        self._inner = inner;
        return (proxy, self);
    }

    /// <summary>Holds the calls of <paramref name="method"/> from now on; the task completes when the first one is held.</summary>
    internal Task Hold(string method)
    {
        _held[method] = true;
        return Entered(method).Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Lets the held calls go on (to the inner store); the cancellation callbacks stay blocked until <see cref="Dispose"/>.</summary>
    internal void Release() => _release.TrySetResult();

    /// <summary>Releases the held calls and unblocks their cancellation callbacks.</summary>
    public void Dispose()
    {
        _unblock.Set();
        Release();
        GC.SuppressFinalize(this);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var method = targetMethod!;
        var name = StoreCall.Name(method, args);
        if (!_held.ContainsKey(name))
        {
            return Forward(method, args);
        }

        var token = args!.OfType<CancellationToken>().LastOrDefault();
        if (method.ReturnType == typeof(ValueTask))
        {
            return new ValueTask(HoldThenAsync<bool>(
                name,
                async () =>
                {
                    await (ValueTask)Forward(method, args)!;
                    return true;
                },
                token));
        }

        // ValueTask<T>
        var result = method.ReturnType.GetGenericArguments()[0];
        var forward = typeof(HangingStore).GetMethod(nameof(ForwardAsync), BindingFlags.NonPublic | BindingFlags.Instance)!.MakeGenericMethod(result);
        var call = forward.Invoke(this, [method, args]);
        var task = HoldThenTMethod.MakeGenericMethod(result).Invoke(this, [name, call, token]);
        return Activator.CreateInstance(method.ReturnType, task);
    }

    private TaskCompletionSource Entered(string method) =>
        _entered.GetOrAdd(method, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task<T> HoldThenAsync<T>(string method, Func<Task<T>> then, CancellationToken token)
    {
        var registration = token.Register(() => _unblock.Wait());
        try
        {
            Entered(method).TrySetResult();
            await _release.Task.ConfigureAwait(false);
        }
        finally
        {
            // Not Dispose: that would wait for a callback that blocks.
            registration.Unregister();
        }

        return await then().ConfigureAwait(false);
    }

    private Func<Task<T>> ForwardAsync<T>(MethodInfo method, object?[]? args) => () => ((ValueTask<T>)Forward(method, args)!).AsTask();

    private object? Forward(MethodInfo method, object?[]? args)
    {
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
