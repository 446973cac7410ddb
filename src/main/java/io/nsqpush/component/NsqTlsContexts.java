package io.nsqpush.component;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.nsqpush.nsq.NsqTls;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

/** Builds the client TLS context for nsqd from the endpoint's key and trust stores (PKCS12, or JKS). */
final class NsqTlsContexts {

    private NsqTlsContexts() {
    }

    /** @return TLS settings, or null when tls is off */
    static NsqTls from(NsqConfiguration configuration) {
        if (!configuration.isTls()) {
            return null;
        }
        try {
            SslContextBuilder builder = SslContextBuilder.forClient();
            if (configuration.getTlsTrustStore() != null) {
                TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(load("tlsTrustStore", configuration.getTlsTrustStore(),
                        configuration.getTlsTrustStorePassword()));
                builder.trustManager(trust);
            }
            if (configuration.getTlsKeyStore() != null) {
                KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                char[] password = password(configuration.getTlsKeyStorePassword());
                keys.init(load("tlsKeyStore", configuration.getTlsKeyStore(), configuration.getTlsKeyStorePassword()),
                        password);
                builder.keyManager(keys);
            }
            SslContext context = builder.build();
            return new NsqTls(context, configuration.isTlsVerifyHostname());
        } catch (SSLException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS to nsqd: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(String option, String file, String password) throws GeneralSecurityException {
        Path path = Path.of(file);
        if (!Files.isReadable(path)) {
            throw new IllegalArgumentException(option + " '" + file + "' is not a readable file");
        }
        // since JDK 9 a PKCS12 KeyStore also reads JKS files
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(path)) {
            store.load(in, password(password));
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " '" + file + "' cannot be read (wrong password or not a key"
                    + " store): " + e.getMessage(), e);
        }
        return store;
    }

    private static char[] password(String password) {
        return password == null ? new char[0] : password.toCharArray();
    }
}
