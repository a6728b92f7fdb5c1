using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>A job store that forwards every member to another one, and fails the next calls of a member on demand (then works again).</summary>
public class FaultyStore : DispatchProxy
{
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _failed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (Task Until, TaskCompletionSource? Entered)> _holds = new(StringComparer.Ordinal);
    private IJobStore _inner = null!;

    /// <summary>Gets the store it forwards to (to change it as another host would, without faults).</summary>
    internal IJobStore Inner => _inner;

    internal static (IJobStore Store, FaultyStore Faults) Create(IJobStore inner)
    {
        var proxy = Create<IJobStore, FaultyStore>();
        var self = (FaultyStore)(object)proxy;
        self._inner = inner;
        return (proxy, self);
    }

    /// <summary>Makes the next <paramref name="times"/> calls of <paramref name="method"/> throw.</summary>
    internal void FailNext(string method, int times = 1) => _failures[method] = times;

    /// <summary>
    /// Makes the calls of <paramref name="method"/> (one returning <see cref="ValueTask"/> or <see cref="ValueTask{TResult}"/>)
    /// wait for <paramref name="until"/>
    /// before they go through; <paramref name="entered"/> is completed when the first such call arrives.
    /// </summary>
    internal void Hold(string method, Task until, TaskCompletionSource? entered = null) => _holds[method] = (until, entered);

    /// <summary>Gets how many calls of <paramref name="method"/> were failed.</summary>
    internal int Failed(string method) => _failed.GetValueOrDefault(method);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var name = StoreCall.Name(targetMethod, args);
        if (_failures.TryGetValue(name, out var left) && left > 0 && _failures.TryUpdate(name, left - 1, left))
        {
            _failed.AddOrUpdate(name, 1, static (_, n) => n + 1);
            throw new InvalidOperationException($"The store failed: {name} (injected).");
        }

        if (_holds.TryGetValue(name, out var hold) && targetMethod.ReturnType == typeof(ValueTask))
        {
            hold.Entered?.TrySetResult();
            return new ValueTask(HeldAsync(hold.Until, targetMethod, args));
        }

        if (_holds.TryGetValue(name, out hold) && targetMethod.ReturnType.IsGenericType && targetMethod.ReturnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            hold.Entered?.TrySetResult();
            var held = typeof(FaultyStore).GetMethod(nameof(HeldValueAsync), BindingFlags.NonPublic | BindingFlags.Instance)!;
            return held.MakeGenericMethod(targetMethod.ReturnType.GetGenericArguments()[0]).Invoke(this, [hold.Until, targetMethod, args]);
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    private async Task HeldAsync(Task hold, MethodInfo method, object?[]? args)
    {
        await hold.ConfigureAwait(false);
        await ((ValueTask)method.Invoke(_inner, args)!).ConfigureAwait(false);
    }

    private async ValueTask<T> HeldValueAsync<T>(Task hold, MethodInfo method, object?[]? args)
    {
        await hold.ConfigureAwait(false);
        return await ((ValueTask<T>)method.Invoke(_inner, args)!).ConfigureAwait(false);
    }
}
