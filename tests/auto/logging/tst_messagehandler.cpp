#include <QtTest/QtTest>

class tst_MessageHandler : public QObject
{
    Q_OBJECT
};

QTEST_APPLESS_MAIN(tst_MessageHandler)

#include "tst_messagehandler.moc"
