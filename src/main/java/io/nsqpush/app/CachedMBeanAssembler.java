package io.nsqpush.app;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.modelmbean.InvalidTargetObjectTypeException;
import javax.management.modelmbean.ModelMBean;
import javax.management.modelmbean.ModelMBeanInfo;

import org.apache.camel.CamelContext;
import org.apache.camel.api.management.ManagedInstance;
import org.apache.camel.api.management.ManagedResource;
import org.apache.camel.api.management.NotificationSenderAware;
import org.apache.camel.spi.ManagementMBeanAssembler;
import org.apache.camel.support.management.DefaultManagementMBeanAssembler;
import org.apache.camel.support.management.MBeanInfoAssembler;
import org.apache.camel.support.management.MixinRequiredModelMBean;
import org.apache.camel.support.management.NotificationSenderAdapter;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Camel's MBean assembler, with the MBean description worked out once per class instead of once per MBean.
 * <p>
 * Camel builds a {@link ModelMBeanInfo} (an attribute and operation info, each with a validated descriptor, for every
 * annotated method) for every route, consumer, producer and endpoint it registers, although it depends on nothing
 * but the class. With 200 subscriptions that is about 1,000 MBeans and most of a second of start-up (BENCHMARKS.md,
 * "200 subscriptions"). Sharing one description per class is safe: {@link javax.management.modelmbean.RequiredModelMBean}
 * copies it when it is set and when it is read, and writes into an attribute's descriptor only to cache a value when
 * a {@code currencyTimeLimit} asks for it, which Camel's descriptions never carry.
 * <p>
 * An object with a custom managed instance of its own (Camel's mixin of two descriptions) is left to Camel's assembler
 * as it is; everything else is assembled as Camel does, from the cached description.
 */
final class CachedMBeanAssembler extends ServiceSupport implements ManagementMBeanAssembler {

    private final CamelContext context;
    private final DefaultManagementMBeanAssembler camel;
    private final MBeanInfoAssembler infos;
    /** Empty for a class Camel does not describe (a proxy). Classes of one context: never unloaded while it runs. */
    private final Map<Class<?>, Optional<ModelMBeanInfo>> byClass = new ConcurrentHashMap<>();

    CachedMBeanAssembler(CamelContext context) {
        this.context = context;
        this.camel = new DefaultManagementMBeanAssembler(context);
        this.infos = new MBeanInfoAssembler(context);
    }

    /** Puts the assembler in the context, before the first MBean is registered. */
    static void install(CamelContext context) {
        context.getCamelContextExtension().setManagementMBeanAssembler(new CachedMBeanAssembler(context));
    }

    @Override
    public ModelMBean assemble(MBeanServer server, Object managed, ObjectName name) throws JMException {
        if (managed instanceof ManagedInstance instance && instance.getInstance() != null
                && instance.getInstance().getClass().isAnnotationPresent(ManagedResource.class)) {
            return camel.assemble(server, managed, name);
        }
        Optional<ModelMBeanInfo> info = byClass.get(managed.getClass());
        if (info == null) {
            info = Optional.ofNullable(infos.getMBeanInfo(context, managed, null, name.toString()));
            byClass.putIfAbsent(managed.getClass(), info);
        }
        if (info.isEmpty()) {
            return null;
        }
        Boolean mask = context.getManagementStrategy().getManagementAgent().getMask();
        MixinRequiredModelMBean mbean = new MixinRequiredModelMBean(info.get(), Boolean.TRUE.equals(mask), null, null);
        try {
            mbean.setManagedResource(managed, "ObjectReference");
        } catch (InvalidTargetObjectTypeException e) {
            throw new JMException(e.getMessage());
        }
        if (managed instanceof NotificationSenderAware aware) {
            aware.setNotificationSender(new NotificationSenderAdapter(mbean));
        }
        return mbean;
    }

    /** @return the classes described so far, for a test's message */
    @Override
    public String toString() {
        return "CachedMBeanAssembler" + byClass.keySet();
    }

    /** @return whether MBeans of that class were made from a cached description */
    boolean describes(Class<?> type) {
        return byClass.containsKey(type);
    }

    @Override
    protected void doInit() throws Exception {
        ServiceHelper.initService(camel, infos);
    }

    @Override
    protected void doStart() throws Exception {
        ServiceHelper.startService(camel, infos);
    }

    @Override
    protected void doStop() throws Exception {
        byClass.clear();
        ServiceHelper.stopService(infos, camel);
    }
}
