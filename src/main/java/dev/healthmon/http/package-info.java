/**
 * The operations endpoints every process serves ({@code /healthz}, {@code /readyz},
 * {@code /metrics}) and the meter registry behind them.
 */
package dev.healthmon.http;
