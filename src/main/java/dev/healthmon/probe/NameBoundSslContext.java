package dev.healthmon.probe;

import java.security.KeyManagementException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The TLS of one host name: every engine it makes is a client engine for {@code name}, whatever
 * host the caller asks for. The JDK's HTTP client, sent to the vetted IP literal, asks for an
 * engine for that literal; with this context the engine's peer is the name instead, so the JDK's
 * own certificate check (endpoint identification {@code HTTPS}) is on the name and only the name:
 * it checks the SNI name first and falls back to the peer host, which is the name too. (With an
 * engine for the literal, a certificate for another name carrying the vetted address as an IP
 * SAN would be accepted through that fallback.) Trust, session cache and defaults are the base
 * context's. Only engines: socket factories and {@code init} are refused.
 *
 * <p>Thread-safe (as the base context).
 */
final class NameBoundSslContext extends SSLContext {

    NameBoundSslContext(SSLContext base, String name, int port) {
        super(new Spi(base, name, port), base.getProvider(), base.getProtocol());
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext base;
        private final String name;
        private final int port;

        Spi(SSLContext base, String name, int port) {
            this.base = base;
            this.name = name;
            this.port = port;
        }

        @Override
        protected void engineInit(KeyManager[] keys, TrustManager[] trust, SecureRandom random)
                throws KeyManagementException {
            throw new KeyManagementException("a name-bound TLS context is initialized by its base context");
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return base.createSSLEngine(name, port);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int ignoredPort) {
            return base.createSSLEngine(name, port); // the literal the connection goes to is not what we verify
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            throw new UnsupportedOperationException("a name-bound TLS context makes engines only");
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new UnsupportedOperationException("a name-bound TLS context makes engines only");
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return base.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return base.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return base.getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return base.getSupportedSSLParameters();
        }
    }
}
