using System.Globalization;
using Commerce.Jobs.Samples.Storefront.Shop;
using Commerce.Jobs.Samples.Storefront.Simulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Samples.Storefront.Erp;

/// <summary>
/// A simulated ERP/WMS served over real HTTP by Kestrel on 127.0.0.1 and a free port. It books orders
/// (<c>POST /orders</c>, per-order answers, idempotent by key), ships them a moment later (<c>GET /shipments</c>),
/// keeps stock (<c>GET /inventory</c>) and answers order history (<c>GET /orders</c>). Like a real one, it misbehaves:
/// a share of calls fails with 500, 429 + Retry-After, or a lost answer (504 after the work was done).
/// </summary>
public sealed class FakeErp : IAsyncDisposable
{
    private const string LoseAnswer = "erp.lose-answer";
    private static readonly TimeSpan ShippingDelay = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(10);

    private readonly double _failureRate;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _itemMaster = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ErpOrderResult> _acceptedByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BookedOrder> _orders = new(StringComparer.Ordinal);
    private readonly Queue<BookedOrder> _toShip = new();
    private readonly List<ErpShipment> _shipments = [];
    private readonly Dictionary<string, ErpStockLevel> _stock = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private long _stockSequence;
    private long _calls, _serverErrors, _throttled, _lostAnswers, _rejected, _duplicates;

    private FakeErp(double failureRate, TimeProvider time)
    {
        _failureRate = failureRate;
        _time = time;
        ImportItems(DemoData.Products.Select(p => p.Sku));
    }

    /// <summary>Gets the address the ERP listens on.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Gets what the ERP saw so far.</summary>
    public ErpStats Stats
    {
        get
        {
            lock (_gate)
            {
                return new ErpStats(Interlocked.Read(ref _calls), Interlocked.Read(ref _serverErrors), Interlocked.Read(ref _throttled), Interlocked.Read(ref _lostAnswers), _orders.Count, _rejected, _duplicates);
            }
        }
    }

    /// <summary>Starts the ERP on 127.0.0.1 and a free port.</summary>
    /// <param name="failureRate">The share of calls that fail (0 to 1).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running ERP.</returns>
    public static async Task<FakeErp> StartAsync(double failureRate, CancellationToken cancellationToken)
    {
        var erp = new FakeErp(failureRate, TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders().AddCompactConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ErpJson.Default));
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.Use(erp.MisbehaveAsync);
        app.MapPost("/orders", (ErpOrder[] orders, HttpContext context) => Answer(context, TypedResults.Json(erp.Book(orders), ErpJson.Default.ErpOrderResultArray)));
        app.MapGet("/orders", (string customerId, HttpContext context) => Answer(context, TypedResults.Json(erp.History(customerId), ErpJson.Default.ErpOrderSummaryArray)));
        app.MapGet("/shipments", (long? after, HttpContext context) => Answer(context, TypedResults.Json(erp.Shipments(after ?? 0), ErpJson.Default.ErpShipmentArray)));
        app.MapGet("/inventory", (long? after, HttpContext context) => Answer(context, TypedResults.Json(erp.StockChanges(after ?? 0), ErpJson.Default.ErpStockLevelArray)));
        await app.StartAsync(cancellationToken);

        // Port 0 asks the OS for a free port; Urls holds the address actually bound once the server runs.
        erp.BaseAddress = new Uri(app.Urls.First());
        erp._app = app;
        return erp;
    }

    /// <summary>Adds items to the ERP's item master (the product team finally imported them), with opening stock.</summary>
    /// <param name="itemNumbers">The items.</param>
    public void ImportItems(IEnumerable<string> itemNumbers)
    {
        ArgumentNullException.ThrowIfNull(itemNumbers);
        lock (_gate)
        {
            foreach (var item in itemNumbers)
            {
                if (_itemMaster.Add(item))
                {
                    _stock[item] = new ErpStockLevel(++_stockSequence, item, DemoData.OpeningStock);
                }
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private static IResult Answer(HttpContext context, IResult answer)
        => context.Items.ContainsKey(LoseAnswer) ? TypedResults.StatusCode(StatusCodes.Status504GatewayTimeout) : answer;

    /// <summary>A little latency on every call, and the configured share of failures.</summary>
    private async Task MisbehaveAsync(HttpContext context, RequestDelegate next)
    {
        Interlocked.Increment(ref _calls);
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(2, 15)), _time, context.RequestAborted);
        var roll = Random.Shared.NextDouble();
        if (roll < _failureRate * 0.3)
        {
            Interlocked.Increment(ref _serverErrors);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsync("The ERP had a bad moment.", context.RequestAborted);
            return;
        }

        if (roll < _failureRate * 0.8)
        {
            Interlocked.Increment(ref _throttled);
            var retryAfter = Random.Shared.Next(1, (int)MaxRetryAfter.TotalSeconds + 1);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            await context.Response.WriteAsync("Too many requests.", context.RequestAborted);
            return;
        }

        if (roll < _failureRate)
        {
            // The work is done, then the answer is lost on the way back (a gateway timeout).
            Interlocked.Increment(ref _lostAnswers);
            context.Items[LoseAnswer] = true;
        }

        await next(context);
    }

    private ErpOrderResult[] Book(ErpOrder[] orders)
    {
        var now = _time.GetUtcNow();
        var results = new ErpOrderResult[orders.Length];
        lock (_gate)
        {
            for (var i = 0; i < orders.Length; i++)
            {
                var order = orders[i];
                if (_acceptedByKey.TryGetValue(order.IdempotencyKey, out var earlier))
                {
                    _duplicates++;
                    results[i] = earlier with { Duplicate = true };
                    continue;
                }

                if (Validate(order) is { } error)
                {
                    // Rejections are not remembered: the same order is validated again when it is resubmitted.
                    _rejected++;
                    results[i] = new ErpOrderResult(order.OrderNumber, ErpOrderResult.Rejected, error);
                    continue;
                }

                var booked = new BookedOrder(order, now);
                _orders[order.OrderNumber] = booked;
                _toShip.Enqueue(booked);
                foreach (var line in order.Lines)
                {
                    var onHand = _stock[line.ItemNumber].OnHand - line.Quantity;
                    _stock[line.ItemNumber] = new ErpStockLevel(++_stockSequence, line.ItemNumber, onHand < 50 ? onHand + 200 : onHand);
                }

                results[i] = _acceptedByKey[order.IdempotencyKey] = new ErpOrderResult(order.OrderNumber, ErpOrderResult.Accepted);
            }
        }

        return results;
    }

    private string? Validate(ErpOrder order)
    {
        if (string.IsNullOrWhiteSpace(order.ShipToPostalCode))
        {
            return "ShipToPostalCode is required.";
        }

        foreach (var line in order.Lines)
        {
            if (!_itemMaster.Contains(line.ItemNumber))
            {
                return $"Item '{line.ItemNumber}' is not in the item master.";
            }

            if (line.Quantity <= 0)
            {
                return $"Item '{line.ItemNumber}': quantity must be positive.";
            }
        }

        return null;
    }

    private ErpOrderSummary[] History(string customerId)
    {
        lock (_gate)
        {
            return [.. _orders.Values
                .Where(o => o.Order.CustomerId == customerId)
                .OrderByDescending(o => o.Order.OrderDate)
                .Select(o => new ErpOrderSummary(o.Order.OrderNumber, o.Order.OrderDate, o.Order.Lines.Sum(l => l.Quantity * l.UnitPrice), o.Shipped ? "Shipped" : "Open"))];
        }
    }

    private ErpShipment[] Shipments(long after)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            // The warehouse ships what was booked a moment ago.
            while (_toShip.TryPeek(out var next) && next.BookedAt + ShippingDelay <= now)
            {
                _toShip.Dequeue();
                next.Shipped = true;
                var sequence = _shipments.Count + 1;
                _shipments.Add(new ErpShipment(sequence, next.Order.OrderNumber, $"TRK{sequence:000000}", now));
            }

            return [.. _shipments.Skip((int)Math.Min(after, _shipments.Count))];
        }
    }

    private ErpStockLevel[] StockChanges(long after)
    {
        lock (_gate)
        {
            return [.. _stock.Values.Where(s => s.Sequence > after).OrderBy(s => s.Sequence)];
        }
    }

    private sealed class BookedOrder(ErpOrder order, DateTimeOffset bookedAt)
    {
        public ErpOrder Order { get; } = order;

        public DateTimeOffset BookedAt { get; } = bookedAt;

        public bool Shipped { get; set; }
    }
}
